import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * An instance id: host, pid and randomness, so restarts and containers on one host never share one. Safe as a
 * Redis lease owner (no `|`) and in logs. Pure apart from the randomness.
 */
export function defaultInstanceId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'host';
  return `${host}-${String(process.pid)}-${randomBytes(3).toString('hex')}`;
}

import { ERROR_CODES, type ErrorCode } from '../../core/domain-error.js';
import type { Fragment, FragmentTag } from '../../mkv/fragment.type.js';
import type { FeedStatus, GapReason } from '../live.types.js';

/** What the holder appends to a stream's log. */
export type LogDraft =
  | { readonly kind: 'fragment'; readonly fragment: Fragment & { readonly fragmentNumber: string } }
  | { readonly kind: 'gap'; readonly reason: GapReason; readonly after: string | null; readonly before: string | null }
  | { readonly kind: 'status'; readonly status: FeedStatus; readonly detail: string | null }
  /** The upstream failed for good (KMS, unknown stream): subscribers end with this code. */
  | { readonly kind: 'end'; readonly code: ErrorCode; readonly message: string };

/** One entry of a stream's log as readers see it, with its Redis Stream id. */
export type LogEntry =
  | (Extract<LogDraft, { kind: 'fragment' }> & {
      readonly id: string;
      /** The fragment logged before this one, or null when the log did not know it (a fresh log). */
      readonly prev: string | null;
    })
  | (Exclude<LogDraft, { kind: 'fragment' }> & { readonly id: string })
  /** The holder gave the lease up on purpose: whoever is interested may take it now. */
  | { readonly kind: 'handover'; readonly id: string };

/** The one-letter kinds the scripts store (`k`). */
export const KIND_CODES = { fragment: 'f', gap: 'g', status: 's', end: 'e' } as const;

/** Version of the payload encoding, so a rolling deploy can tell old entries from new ones. */
const VERSION = 1;

/** The `d` field of a draft: JSON, binary tag values in base64. Pure. */
export function encodePayload(draft: LogDraft): string {
  switch (draft.kind) {
    case 'fragment': {
      const { tags, ...rest } = draft.fragment;
      return JSON.stringify({
        v: VERSION,
        ...rest,
        tags: tags.map((tag) => ({ name: tag.name, value: tag.value, binary: tag.binary === null ? null : Buffer.from(tag.binary).toString('base64') })),
      });
    }
    case 'gap':
      return JSON.stringify({ v: VERSION, reason: draft.reason, after: draft.after, before: draft.before });
    case 'status':
      return JSON.stringify({ v: VERSION, status: draft.status, detail: draft.detail });
    case 'end':
      return JSON.stringify({ v: VERSION, code: draft.code, message: draft.message });
  }
}

/** A malformed log entry (another version wrote it, or something else wrote to our keys). */
export class LogEntryError extends Error {
  constructor(id: string, why: string) {
    super(`log entry ${id}: ${why}`);
    this.name = 'LogEntryError';
  }
}

const GAP_REASONS: ReadonlySet<string> = new Set<GapReason>(['RETENTION', 'SLOW_CONSUMER', 'UPSTREAM_ERROR', 'UPSTREAM_RESET']);
const STATUSES: ReadonlySet<string> = new Set<FeedStatus>(['CONNECTED', 'RECONNECTING', 'THROTTLED', 'STALLED', 'ENDED']);
const CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES);

/**
 * Decodes one Redis Stream entry (`[id, [field, value, ...]]` as XRANGE/XREAD return it). Pure.
 * @throws LogEntryError when the entry is not one this version wrote.
 */
export function decodeEntry(id: string, fields: readonly string[]): LogEntry {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  const kind = map.get('k');
  if (kind === 'h') return { kind: 'handover', id };
  const payload = parse(id, map.get('d'));
  switch (kind) {
    case 'f': {
      const number = map.get('n');
      if (number === undefined || payload['fragmentNumber'] !== number) throw new LogEntryError(id, 'fragment number missing or inconsistent');
      const prev = map.get('p');
      return { kind: 'fragment', id, fragment: decodeFragment(id, payload, number), prev: prev === undefined || prev === '' ? null : prev };
    }
    case 'g': {
      const reason = payload['reason'];
      if (typeof reason !== 'string' || !GAP_REASONS.has(reason)) throw new LogEntryError(id, 'unknown gap reason');
      return { kind: 'gap', id, reason: reason as GapReason, after: nullableString(payload['after']), before: nullableString(payload['before']) };
    }
    case 's': {
      const status = payload['status'];
      if (typeof status !== 'string' || !STATUSES.has(status)) throw new LogEntryError(id, 'unknown status');
      return { kind: 'status', id, status: status as FeedStatus, detail: nullableString(payload['detail']) };
    }
    case 'e': {
      const code = payload['code'];
      if (typeof code !== 'string' || !CODES.has(code)) throw new LogEntryError(id, 'unknown error code');
      return { kind: 'end', id, code: code as ErrorCode, message: typeof payload['message'] === 'string' ? payload['message'] : 'The stream ended.' };
    }
    default:
      throw new LogEntryError(id, `unknown kind ${String(kind)}`);
  }
}

/**
 * Decodes the stored status payload (the `status` key); undefined when absent. Pure.
 * @throws LogEntryError when it is not a status this version wrote.
 */
export function decodeStatus(payload: string | null): { readonly status: FeedStatus; readonly detail: string | null } | undefined {
  if (payload === null) return undefined;
  const entry = decodeEntry('status', ['k', 's', 'd', payload]);
  if (entry.kind !== 'status') throw new LogEntryError('status', 'not a status');
  return { status: entry.status, detail: entry.detail };
}

function parse(id: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) throw new LogEntryError(id, 'no payload');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LogEntryError(id, `payload is not JSON (${String(error)})`);
  }
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== VERSION) throw new LogEntryError(id, 'payload of another version');
  return value as Record<string, unknown>;
}

function decodeFragment(id: string, payload: Record<string, unknown>, fragmentNumber: string): Fragment & { readonly fragmentNumber: string } {
  const tags = payload['tags'];
  if (!Array.isArray(tags) || !Array.isArray(payload['tracks']) || !Array.isArray(payload['trackStats'])) throw new LogEntryError(id, 'fragment without tracks or tags');
  const { v: _version, ...rest } = payload;
  return {
    ...(rest as unknown as Omit<Fragment, 'tags' | 'fragmentNumber'>),
    fragmentNumber,
    tags: (tags as { name: string; value: string | null; binary: string | null }[]).map(
      (tag): FragmentTag => ({ name: tag.name, value: tag.value, binary: tag.binary === null ? null : new Uint8Array(Buffer.from(tag.binary, 'base64')) }),
    ),
  };
}

function nullableString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

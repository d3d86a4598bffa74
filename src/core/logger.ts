import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks in every log line. Credentials, signed URLs and tokens must never reach logs
 * (RELIABILITY.md S11): request URLs are logged without their query string for the same reason.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers.cookie',
  'credentials',
  'secretAccessKey',
  'sessionToken',
  'token',
  'url',
  '*.url',
  '*.token',
  '*.secretAccessKey',
];

/**
 * Creates the process logger (JSON lines on stdout, or on `destination` for tests that scan logs).
 * Lifetime: the process.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'media-graph' }, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

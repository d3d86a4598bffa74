import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { routeConsoleToLog } from '../../../src/cli/console-to-log.js';
import { createLogger } from '../../../src/core/logger.js';

/** A logger at `level` whose JSON lines the test reads, and a console that would otherwise print to `printed`. */
function setup(level: string): { lines: () => Record<string, unknown>[]; target: Console; printed: () => string } {
  const logs = new PassThrough();
  let logged = '';
  logs.on('data', (chunk: Buffer) => (logged += chunk.toString()));
  const out = new PassThrough();
  let printed = '';
  out.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  const target = new Console({ stdout: out, stderr: out });
  routeConsoleToLog(createLogger(level, logs), target);
  return {
    lines: () => logged.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>),
    target,
    printed: () => printed,
  };
}

describe('routeConsoleToLog', () => {
  it('turns each console call into one JSON log line at its method\'s level when a dependency prints', () => {
    const { lines, target, printed } = setup('debug');
    target.log('plain %s', 'line');
    target.warn('Request cannot be retried. Not Retrying. Exception occurred : %d', 404);
    target.error(new Error('boom'));
    target.debug({ a: 1 });
    expect(lines().map((line) => [line['level'], line['source'], line['msg']])).toEqual([
      [30, 'console', 'plain line'],
      [40, 'console', 'Request cannot be retried. Not Retrying. Exception occurred : 404'],
      [50, 'console', expect.stringMatching(/^Error: boom\n {4}at /)],
      [20, 'console', '{ a: 1 }'],
    ]);
    expect(printed()).toBe('');
  });

  it('logs Node\'s process warnings at warn with source process when they arrive through console.error', () => {
    const { lines, target } = setup('info');
    target.error('(node:4242) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nwill require node >=22.');
    target.error('(node:4242) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.');
    target.error('(node:4242) is not a warning');
    expect(lines().map((line) => [line['level'], line['source']])).toEqual([
      [40, 'process'],
      [40, 'process'],
      [50, 'console'],
    ]);
  });

  it('drops console lines below LOG_LEVEL when the level is higher', () => {
    const { lines, target } = setup('error');
    target.warn('noise');
    target.error('kept');
    expect(lines().map((line) => line['msg'])).toEqual(['kept']);
  });

  it('puts the original methods back when restored', () => {
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const target = new Console({ stdout: out, stderr: out });
    const restore = routeConsoleToLog(createLogger('info', new PassThrough()), target);
    restore();
    target.warn('printed again');
    expect(printed).toBe('printed again\n');
  });
});

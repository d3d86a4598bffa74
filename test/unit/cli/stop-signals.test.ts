import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listenForStop, type StopSignals } from '../../../src/cli/stop-signals.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  return { stream, text: () => text };
}

describe('listenForStop', () => {
  let stop: StopSignals | undefined;
  afterEach(() => {
    stop?.dispose();
    stop = undefined;
    vi.restoreAllMocks();
  });

  it('has its listeners in place when it returns, before anything is printed', () => {
    const before = { term: process.listenerCount('SIGTERM'), int: process.listenerCount('SIGINT') };
    stop = listenForStop(sink().stream, 'second signal');
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    stop.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
  });

  it('resolves with the first signal and keeps listening, so a second one never meets the default action', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const stderr = sink();
    stop = listenForStop(stderr.stream, 'media-graph: second signal, exiting now');
    const listeners = process.listenerCount('SIGTERM');
    process.emit('SIGINT', 'SIGINT');
    await expect(stop.first).resolves.toBe('SIGINT');
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGTERM', 'SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
    expect(stderr.text()).toBe('media-graph: second signal, exiting now\n');
  });
});

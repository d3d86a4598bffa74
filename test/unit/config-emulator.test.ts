import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseEndpointPorts } from '../../src/config.js';

describe('loadConfig EMULATOR_*', () => {
  it('keeps a 2000 ms demo cadence and free ports when nothing is set', () => {
    expect(loadConfig({}).emulator).toEqual({ ports: {}, demoFragmentMs: 2_000 });
  });

  it('reads the demo cadence and fixed ports when both are set', () => {
    const { emulator } = loadConfig({ EMULATOR_DEMO_FRAGMENT_MS: '100', EMULATOR_PORTS: 'kinesis=4566, mediastore=4567' });
    expect(emulator).toEqual({ ports: { kinesis: 4566, mediastore: 4567 }, demoFragmentMs: 100 });
  });

  it('refuses a cadence below 10 ms and a malformed port list with an error naming the variable', () => {
    expect(() => loadConfig({ EMULATOR_DEMO_FRAGMENT_MS: '5' })).toThrow(/EMULATOR_DEMO_FRAGMENT_MS/);
    expect(() => loadConfig({ EMULATOR_PORTS: 'kinesis:4566' })).toThrow(ConfigError);
    expect(() => loadConfig({ EMULATOR_PORTS: 'kinesis=70000' })).toThrow(/EMULATOR_PORTS: 'kinesis=70000' must be name=port/);
  });
});

describe('parseEndpointPorts', () => {
  it('lets a later entry win when a name is given twice', () => {
    expect(parseEndpointPorts(['kinesis=1', 'oci=0', 'kinesis=2'], '--port')).toEqual({ kinesis: 2, oci: 0 });
  });

  it('names the source when an entry has no port', () => {
    expect(() => parseEndpointPorts(['kinesis'], '--port')).toThrow(/--port: 'kinesis' must be name=port/);
  });
});

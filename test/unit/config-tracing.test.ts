import { describe, expect, it } from 'vitest';
import { configWarnings, loadConfig } from '../../src/config.js';

const ENDPOINT = 'http://collector.internal:4318';

describe('loadConfig tracing', () => {
  it('turns traces on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT }).tracing).toEqual({ enabled: true, endpoint: ENDPOINT, diagnostics: 'warn', ignored: [] });
    const traces = `${ENDPOINT}/v1/traces`;
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces }).tracing).toMatchObject({ enabled: true, endpoint: traces });
    // The signal's own endpoint wins, as the specification says.
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces }).tracing.endpoint).toBe(traces);
  });

  it('leaves traces off when no endpoint is set, or when OTEL_SDK_DISABLED is true or OTEL_TRACES_EXPORTER is none', () => {
    expect(loadConfig({}).tracing).toEqual({ enabled: false, endpoint: undefined, diagnostics: 'warn', ignored: [] });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'true' }).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' }).tracing.enabled).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SDK_DISABLED: 'false' }).tracing.enabled).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }).tracing.enabled).toBe(false);
  });

  it('warns naming the OTEL_ variables that have no effect when they are set without an endpoint', () => {
    const config = loadConfig({ OTEL_SERVICE_NAME: 'media', OTEL_TRACES_SAMPLER: 'always_on' });
    expect(config.tracing.ignored).toEqual(['OTEL_SERVICE_NAME', 'OTEL_TRACES_SAMPLER']);
    expect(configWarnings(config)).toEqual([
      'OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER set, but neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is: traces are off; set one of them to the collector',
    ]);
    // Turned off on purpose: nothing to warn about.
    expect(configWarnings(loadConfig({ OTEL_SERVICE_NAME: 'media', OTEL_SDK_DISABLED: 'true' }))).toEqual([]);
  });

  it('refuses a malformed value naming the variable when an OTEL_ variable is set wrong', () => {
    const cases: Record<string, string> = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http',
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key',
      OTEL_PROPAGATORS: 'tracecontext,xray',
      OTEL_SDK_DISABLED: 'yes',
      OTEL_LOG_LEVEL: 'loud',
    };
    for (const [name, value] of Object.entries(cases)) expect(() => loadConfig({ [name]: value }), name).toThrow(new RegExp(`${name}: `));
  });

  it('accepts the values the specification defines when they are well formed', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc,x-tenant = media',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,service.namespace=media',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_PROPAGATORS: 'tracecontext, baggage',
      OTEL_LOG_LEVEL: 'DEBUG',
    });
    expect(config.tracing).toMatchObject({ enabled: true, diagnostics: 'debug' });
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantConfigError, loadTenants, parseTenants } from '../../../src/auth/tenants.js';

const YAML_FILE = `
tenants:
  tenant-a:
    objects: { prefixes: ["/tenant-a/"] }
    streams: { names: ["tenant-a-*"] }
    livestream:
      projects: ["proj-a"]
      locations: ["*"]
      channels: ["a-*"]
      assets: ["*"]
    oci:
      compartments: ["ocid1.compartment.oc1..aaaa"]
      mediaAssets: ["*"]
      distributionChannels: ["ocid1.streamdistributionchannel.oc1.iad.a*"]
      packagingConfigs: ["*"]
    rateLimit: { requestsPerSecond: 50, burst: 100 }
  tenant_b:
    objects:
      prefixes: ["/tenant-b/"]
`;

const JSON_FILE = JSON.stringify({
  tenants: {
    'tenant-a': { objects: { prefixes: ['/tenant-a/'] }, rateLimit: { requestsPerSecond: 0.5, burst: 1 } },
    b: { streams: { names: ['b-*'] } },
  },
});

/** The problems `parseTenants` reports for `tenant` given as JSON. */
function problemsOf(document: unknown): readonly string[] {
  try {
    parseTenants(JSON.stringify(document), 'json', 'test.json');
  } catch (error) {
    if (error instanceof TenantConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a TenantConfigError');
}

/** The problems for a single tenant `t` with the given rules. */
function tenantProblems(rules: unknown): readonly string[] {
  return problemsOf({ tenants: { t: rules } });
}

describe('parseTenants', () => {
  it('compiles every tenant when given valid YAML', () => {
    const directory = parseTenants(YAML_FILE, 'yaml', 'tenants.yaml');
    expect(directory.ids).toEqual(['tenant-a', 'tenant_b']);
    const a = directory.get('tenant-a');
    expect(a?.tenantId).toBe('tenant-a');
    expect(a?.canAccessObjectPath('/tenant-a/x.mp4')).toBe(true);
    expect(a?.canAccessObjectPath('/tenant-b/x.mp4')).toBe(false);
    expect(a?.canAccessStream('tenant-a-cam')).toBe(true);
    expect(a?.canAccessLiveStreamResource('projects/proj-a/locations/us-central1/channels/a-1')).toBe(true);
    expect(a?.canAccessOciCompartment('ocid1.compartment.oc1..aaaa')).toBe(true);
    expect(a?.canAccessOciMediaAsset('ocid1.mediaasset.oc1.iad.x')).toBe(true);
    expect(a?.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1.iad.a1')).toBe(true);
    expect(a?.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1.iad.b1')).toBe(false);
    expect(a?.canAccessOciPackagingConfig('ocid1.streampackagingconfig.oc1.iad.x')).toBe(true);
    expect(directory.rateLimitOverrides.get('tenant-a')).toEqual({ requestsPerSecond: 50, burst: 100 });
    expect(directory.rateLimitOverrides.has('tenant_b')).toBe(false);
  });

  it('denies the missing sections when a tenant names only some', () => {
    const b = parseTenants(YAML_FILE, 'yaml', 'tenants.yaml').get('tenant_b');
    expect(b?.canAccessObjectPath('/tenant-b/x')).toBe(true);
    expect(b?.canAccessStream('tenant-b-cam')).toBe(false);
    expect(b?.canAccessLiveStreamResource('projects/p/locations/l/channels/c')).toBe(false);
    expect(b?.canAccessOciCompartment('ocid1.compartment.oc1..aaaa')).toBe(false);
  });

  it('compiles every tenant when given valid JSON', () => {
    const directory = parseTenants(JSON_FILE, 'json', 'tenants.json');
    expect(directory.ids).toEqual(['tenant-a', 'b']);
    expect(directory.get('b')?.canAccessStream('b-1')).toBe(true);
    expect(directory.rateLimitOverrides.get('tenant-a')).toEqual({ requestsPerSecond: 0.5, burst: 1 });
  });

  it('returns undefined when a tenant is unknown, including prototype names', () => {
    const directory = parseTenants(YAML_FILE, 'yaml', 'tenants.yaml');
    expect(directory.get('tenant-c')).toBeUndefined();
    expect(directory.get('constructor')).toBeUndefined();
    expect(directory.get('toString')).toBeUndefined();
    expect(directory.get('__proto__')).toBeUndefined();
  });

  it('accepts an empty tenant list when the file grants nothing', () => {
    expect(parseTenants('tenants: {}', 'yaml', 'x').ids).toEqual([]);
  });

  it('accepts a tenant with no sections when it should reach nothing', () => {
    const t = parseTenants('{"tenants":{"t":{}}}', 'json', 'x').get('t');
    expect(t?.canAccessObjectPath('/t/x')).toBe(false);
  });

  it('throws a TenantConfigError naming the source when the JSON is malformed', () => {
    let caught: unknown;
    try {
      parseTenants('{"tenants": ', 'json', 'broken.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TenantConfigError);
    const error = caught as TenantConfigError;
    expect(error.name).toBe('TenantConfigError');
    expect(error.source).toBe('broken.json');
    expect(error.message).toMatch(/^Invalid tenants file broken\.json: not valid JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('throws when the YAML is malformed', () => {
    expect(() => parseTenants('tenants:\n  a: [unclosed', 'yaml', 'broken.yaml')).toThrow(/not valid YAML/);
  });

  it('throws when a YAML tenant is listed twice', () => {
    const text = 'tenants:\n  a: {}\n  a: { objects: { prefixes: ["/"] } }\n';
    expect(() => parseTenants(text, 'yaml', 'dup.yaml')).toThrow(/not valid YAML: .*unique/i);
  });

  it('explains quoting when YAML reads a project number as a number', () => {
    const text = 'tenants:\n  t:\n    livestream:\n      projects: [123456789]\n';
    expect(() => parseTenants(text, 'yaml', 'x.yaml')).toThrow(
      "tenant 't': livestream.projects[0]: must be a string (quote numbers",
    );
  });

  it('lists every problem when several fields are invalid', () => {
    const problems = problemsOf({
      tenants: { a: { objects: { prefixes: ['relative/'] } }, b: { streams: { names: ['x/y'] } } },
    });
    expect(problems).toEqual([
      "tenant 'a': objects.prefixes[0]: must be absolute (start with '/')",
      "tenant 'b': streams.names[0]: must not contain '/' (a pattern matches one name or path segment)",
    ]);
  });
});

describe('parseTenants validation', () => {
  it('rejects the file when the top level is not a mapping', () => {
    expect(() => parseTenants('', 'yaml', 'empty.yaml')).toThrow(
      "(top level): must be a mapping with a top-level 'tenants' key",
    );
    expect(problemsOf(['tenants'])).toEqual(["(top level): must be a mapping with a top-level 'tenants' key"]);
  });

  it('rejects the file when tenants is missing or not a mapping', () => {
    expect(problemsOf({})).toEqual(['tenants: is required']);
    expect(problemsOf({ tenants: [] })).toEqual(['tenants: must be a mapping of tenant id to rules']);
    expect(() => parseTenants('tenants:\n', 'yaml', 'x')).toThrow('tenants: must be a mapping of tenant id to rules');
  });

  it('rejects the file when it has an unknown top-level key', () => {
    expect(problemsOf({ tenants: {}, tenant: {} })[0]).toMatch(/^\(top level\): Unrecognized key\(s\) in object: 'tenant'/);
  });

  it('rejects a tenant id when it breaks the id pattern', () => {
    for (const id of ['Tenant-A', '-a', '_a', 'a b', 'a.b', 'a'.repeat(64), '__proto__']) {
      const problems = problemsOf(JSON.parse(`{"tenants": {${JSON.stringify(id)}: {}}}`));
      expect(problems, id).toEqual([
        `tenant '${id}': tenant id must match ^[a-z0-9][a-z0-9_-]{0,62}$ (lowercase letters, digits, '-' and '_', at most 63 characters)`,
      ]);
    }
  });

  it('rejects __proto__ when a YAML file uses it as a tenant id', () => {
    expect(() => parseTenants('tenants:\n  __proto__: { objects: { prefixes: ["/"] } }\n', 'yaml', 'x')).toThrow(
      "tenant '__proto__': tenant id must match",
    );
  });

  it('accepts a tenant id when it is 63 characters long', () => {
    const id = `a${'-'.repeat(61)}z`;
    expect(parseTenants(JSON.stringify({ tenants: { [id]: {} } }), 'json', 'x').ids).toEqual([id]);
  });

  it('rejects a tenant when it is not a mapping', () => {
    expect(tenantProblems('all')).toEqual([
      "tenant 't': must be a mapping of sections (objects, streams, livestream, oci, rateLimit)",
    ]);
  });

  it('rejects a tenant when it has an unknown section', () => {
    expect(tenantProblems({ object: { prefixes: ['/t/'] } })[0]).toMatch(
      /^tenant 't': Unrecognized key\(s\) in object: 'object'/,
    );
  });

  it('rejects a section when it has an unknown field', () => {
    expect(tenantProblems({ objects: { prefix: ['/t/'] } })).toEqual([
      "tenant 't': objects.prefixes: is required",
      "tenant 't': objects: Unrecognized key(s) in object: 'prefix'",
    ]);
  });

  it('rejects a section when it is not a mapping', () => {
    expect(tenantProblems({ livestream: ['p'] })).toEqual(["tenant 't': livestream: must be a mapping"]);
  });

  it('rejects prefixes when they are not a list', () => {
    expect(tenantProblems({ objects: { prefixes: '/t/' } })).toEqual([
      "tenant 't': objects.prefixes: must be a list of folder prefixes",
    ]);
  });

  it('rejects a prefix for each rule it breaks', () => {
    const cases: [string, string][] = [
      ['t/', "must be absolute (start with '/')"],
      ['/t', "must end with '/' (a folder; '/tenant-a' would also match '/tenant-ab')"],
      ['', "must be absolute (start with '/')"],
      ['//', "must not contain empty segments ('//')"],
      ['/t//x/', "must not contain empty segments ('//')"],
      ['/t/../x/', "must not contain '.' or '..' segments"],
      ['/../', "must not contain '.' or '..' segments"],
      ['/t/./', "must not contain '.' or '..' segments"],
      ['/t\u0000/', 'must not contain control characters'],
      ['/t\n/', 'must not contain control characters'],
      ['/t-*/', 'must be a literal folder, not a glob'],
      [`/${'a'.repeat(1100)}/`, 'must be at most 1024 characters'],
    ];
    for (const [prefix, message] of cases) {
      expect(tenantProblems({ objects: { prefixes: [prefix] } }), JSON.stringify(prefix)).toEqual([
        `tenant 't': objects.prefixes[0]: ${message}`,
      ]);
    }
  });

  it('accepts a prefix when it is the root or has dotted names', () => {
    const t = parseTenants(
      JSON.stringify({ tenants: { t: { objects: { prefixes: ['/', '/a/..b/.c/'] } } } }),
      'json',
      'x',
    ).get('t');
    expect(t?.objectPrefixes).toEqual(['/', '/a/..b/.c/']);
  });

  it('rejects a pattern for each rule it breaks', () => {
    const cases: [unknown, string][] = [
      ['', 'must not be empty'],
      ['a/b', "must not contain '/' (a pattern matches one name or path segment)"],
      ['**/x', "must not contain '/' (a pattern matches one name or path segment)"],
      ['!secret', "must not start with '!' (negated patterns are not supported)"],
      ['a b', 'must not contain whitespace'],
      ['a\u0007', 'must not contain control characters'],
      ['x'.repeat(1025), 'must be at most 1024 characters'],
      [42, 'must be a string (quote numbers, e.g. "123456789")'],
    ];
    for (const [pattern, message] of cases) {
      expect(tenantProblems({ streams: { names: [pattern] } }), JSON.stringify(pattern)).toEqual([
        `tenant 't': streams.names[0]: ${message}`,
      ]);
    }
  });

  it('validates patterns when they are in any provider section', () => {
    expect(
      tenantProblems({
        livestream: { projects: ['a/b'], locations: [''], channels: ['!c'], assets: 'x' },
        oci: { compartments: ['ocid1 x'], mediaAssets: [null], distributionChannels: ['a/b'], packagingConfigs: [''] },
      }),
    ).toEqual([
      "tenant 't': livestream.projects[0]: must not contain '/' (a pattern matches one name or path segment)",
      "tenant 't': livestream.locations[0]: must not be empty",
      "tenant 't': livestream.channels[0]: must not start with '!' (negated patterns are not supported)",
      "tenant 't': livestream.assets: must be a list of patterns",
      "tenant 't': oci.compartments[0]: must not contain whitespace",
      "tenant 't': oci.mediaAssets[0]: must be a string (quote numbers, e.g. \"123456789\")",
      "tenant 't': oci.distributionChannels[0]: must not contain '/' (a pattern matches one name or path segment)",
      "tenant 't': oci.packagingConfigs[0]: must not be empty",
    ]);
  });

  it('rejects a rate limit when a field is out of range or missing', () => {
    const cases: [unknown, string[]][] = [
      [{ requestsPerSecond: 0, burst: 1 }, ['rateLimit.requestsPerSecond: must be greater than 0']],
      [{ requestsPerSecond: -5, burst: 1 }, ['rateLimit.requestsPerSecond: must be greater than 0']],
      [{ requestsPerSecond: 2_000_000, burst: 1 }, ['rateLimit.requestsPerSecond: must be at most 1000000']],
      [{ requestsPerSecond: '5', burst: 1 }, ['rateLimit.requestsPerSecond: must be a number']],
      [{ requestsPerSecond: 5, burst: 1.5 }, ['rateLimit.burst: must be a whole number']],
      [{ requestsPerSecond: 5, burst: 0 }, ['rateLimit.burst: must be at least 1']],
      [{ requestsPerSecond: 5, burst: 2_000_000 }, ['rateLimit.burst: must be at most 1000000']],
      [{ requestsPerSecond: 5 }, ['rateLimit.burst: is required']],
      [{ requestsPerSecond: 5, burst: 5, window: 1 }, ["rateLimit: Unrecognized key(s) in object: 'window'"]],
      [50, ['rateLimit: must be a mapping with requestsPerSecond and burst']],
    ];
    for (const [rateLimit, messages] of cases) {
      expect(tenantProblems({ rateLimit }), JSON.stringify(rateLimit)).toEqual(
        messages.map((message) => `tenant 't': ${message}`),
      );
    }
  });
});

describe('loadTenants', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'media-graph-tenants-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const path = join(directory, name);
    await writeFile(path, text, 'utf8');
    return path;
  }

  it('reads YAML when the extension is .yaml or .yml, in any case', async () => {
    for (const name of ['t.yaml', 't.yml', 'T.YAML']) {
      const tenants = await loadTenants(await write(name, YAML_FILE));
      expect(tenants.ids, name).toEqual(['tenant-a', 'tenant_b']);
    }
  });

  it('reads JSON when the extension is .json', async () => {
    const tenants = await loadTenants(await write('t.json', JSON_FILE));
    expect(tenants.ids).toEqual(['tenant-a', 'b']);
  });

  it('refuses YAML when the extension says JSON', async () => {
    await expect(loadTenants(await write('yaml-inside.json', YAML_FILE))).rejects.toThrow(/not valid JSON/);
  });

  it('reads JSON and then YAML when the extension says neither', async () => {
    expect((await loadTenants(await write('tenants.conf', JSON_FILE))).ids).toEqual(['tenant-a', 'b']);
    expect((await loadTenants(await write('tenants', YAML_FILE))).ids).toEqual(['tenant-a', 'tenant_b']);
  });

  it('reports both parse errors when an unknown extension holds neither JSON nor YAML', async () => {
    const error = await loadTenants(await write('garbage.txt', 'tenants: [unclosed')).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(TenantConfigError);
    const problems = (error as TenantConfigError).problems;
    expect(problems[0]).toMatch(/^not valid JSON/);
    expect(problems[1]).toMatch(/^not valid YAML/);
  });

  it('validates the content when the file parses', async () => {
    await expect(loadTenants(await write('bad.yaml', 'tenants:\n  Bad: {}\n'))).rejects.toThrow(
      /tenant 'Bad': tenant id must match/,
    );
  });

  it('throws a TenantConfigError with the I/O error as cause when the file is missing', async () => {
    const path = join(directory, 'missing.yaml');
    const error = await loadTenants(path).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(TenantConfigError);
    expect((error as TenantConfigError).source).toBe(path);
    expect((error as TenantConfigError).message).toContain('cannot be read');
    expect(((error as TenantConfigError).cause as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});

import type { ClientsSummary } from './client-reports.js';
import type { OpCosts } from './redis-op-cost.js';

/**
 * Tables and targets of `npm run bench:fleet` (see `bench/fleet.bench.ts`): pure functions from measured figures to
 * Markdown, so the report says only what was measured.
 */

/** One tier: some gateways, some subscribers each, one measurement window; what its clients saw is the {@link ClientsSummary}. */
export interface FleetTierResult extends ClientsSummary {
  /** e.g. `fleet-1000`. */
  readonly label: string;
  readonly kind: 'fleet' | 'single';
  /** The hub the gateways ran: `redis` (fleet mode) or `local` (one reader per instance). */
  readonly hub: 'redis' | 'local';
  /** With the `redis` hub: one Redis server, or a Cluster of this many masters (`FLEET_CLUSTER`). */
  readonly redisMasters?: number;
  /** CPU the tier's Redis used with no gateway connected, ms per second, measured before it (`FLEET_CLUSTER` runs). */
  readonly redisIdleCpuMsPerS?: number;
  readonly instances: number;
  /** Subscribers asked for on each instance, and connected in all. */
  readonly perInstance: number;
  readonly connected: number;
  readonly windowMs: number;
  /** Fragments the emulator produced (server timestamp) inside the window. */
  readonly sourceFragments: number;
  /** User + system CPU of all gateways of the tier over the window, ms. */
  readonly gatewayCpuMs: number;
  readonly clientCpuMs: number;
  readonly emulatorCpuMs: number;
  /** CPU of everything else on the machine during the window, % of one core. */
  readonly otherCpuPercent: number;
  /** GetMedia calls the emulator counted from the first gateway's start to the end of the window (failover excluded). */
  readonly getMediaCalls: number;
  /** Most GetMedia connections open at once, sampled every 250 ms over the same span. */
  readonly upstreamMaxOpen: number;
  /** Redis over the window; in a local-hub tier only its own background work (null when not sampled). */
  readonly redis: { readonly commands: number; readonly cpuMs: number; readonly byCommand: readonly (readonly [string, number])[] } | null;
}

/** The F2 failover measured at the end of a fleet tier. */
export interface FailoverResult {
  readonly tier: string;
  /** Subscribers on the surviving instances. */
  readonly survivors: number;
  readonly leaseTtlMs: number;
  /** From the SIGKILL to the start of the new holder's GetMedia (emulator clock, same machine), ms; null if none. */
  readonly takeoverMs: number | null;
  /** From the SIGKILL to the first survivor receiving a fragment produced after it, ms; null if none did. */
  readonly firstDeliveryMs: number | null;
  /** From the SIGKILL until every survivor had received one, ms; null if some never did. */
  readonly allSurvivorsMs: number | null;
  /** Over the check window around the kill: fragments the emulator produced, and what survivors lacked or got twice. */
  readonly checkedFragments: number;
  readonly survivorsMissingSome: number;
  readonly fewestReceived: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** Most GetMedia connections open at once after the kill. */
  readonly upstreamMaxOpenAfter: number;
  /** The check window: fragments produced from this long before the kill to this long after it, ms. */
  readonly checkBeforeMs: number;
  readonly checkAfterMs: number;
}

/** Memory of the Redis keys of one stream, measured in fleet mode. */
export interface StreamMemory {
  readonly tier: string;
  readonly keys: readonly { readonly role: string; readonly type: string; readonly entries: number | null; readonly bytes: number }[];
  /** `LIVE_WINDOW_FRAGMENTS` the gateways ran with. */
  readonly windowFragments: number;
  /** Redis `connected_clients` and `mem_clients_normal` (bytes) at the same moment, the benchmark's own client included. */
  readonly connectedClients: number;
  readonly clientMemoryBytes: number;
}

/** Everything one run measured. */
export interface FleetResults {
  readonly date: string;
  /** `HH:MM` (UTC) when the run ended: with the date, it names the run's section. */
  readonly time: string;
  readonly uname: string;
  /** `git describe --always --dirty` of the code measured. */
  readonly revision: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly machine: string;
  readonly redisVersion: string;
  readonly command: string;
  readonly fragmentMs: number;
  readonly warmupMs: number;
  readonly tiers: readonly FleetTierResult[];
  readonly failover: FailoverResult | null;
  readonly memory: StreamMemory | null;
  /** The emulator's lifetime `maxOpenGetMedia` for the stream at the end of the run. */
  readonly lifetimeMaxOpen: number;
  /** Redis cost per fleet operation over many streams (null when no fleet tier left a log to copy a payload from). */
  readonly opCosts: OpCosts | null;
  readonly targets: FleetTargets;
}

/** What the run must show. */
export interface FleetTargets {
  /** GetMedia per fleet tier (calls, and open at once). */
  readonly upstream: number;
  /** Most p99 latency the fleet may add over the single instance, ms. */
  readonly addedP99Ms: number;
  /** Most gateway CPU per delivery of the fleet relative to the single instance. */
  readonly cpuRatio: number;
  /** Most growth of Redis commands and CPU per fragment when subscribers grow 10x. */
  readonly flatRatio: number;
  /** Slack after the lease TTL for deliveries to resume after the holder dies, ms. */
  readonly failoverSlackMs: number;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function n(value: number): string {
  return integer.format(value);
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function ms(value: number | null): string {
  return value === null ? '—' : `${n(value)} ms`;
}

/** Gateway CPU per delivery, µs. */
export function cpuPerDeliveryUs(tier: FleetTierResult): number | null {
  return tier.deliveries === 0 ? null : (tier.gatewayCpuMs * 1000) / tier.deliveries;
}

/** Redis commands and CPU (µs) per source fragment, or null. */
export function redisPerFragment(tier: FleetTierResult): { readonly commands: number; readonly cpuUs: number } | null {
  if (tier.redis === null || tier.sourceFragments === 0) return null;
  return { commands: tier.redis.commands / tier.sourceFragments, cpuUs: (tier.redis.cpuMs * 1000) / tier.sourceFragments };
}

function everyFragment(tier: FleetTierResult): string {
  if (tier.connected === 0) return 'no subscribers';
  return tier.clientsWithEveryFragment === tier.connected ? 'yes' : `no: ${n(tier.clientsWithEveryFragment)} of ${n(tier.connected)} (fewest ${n(tier.fewestFragments)} of ${n(tier.sourceFragments)})`;
}

/** The per-tier table. */
export function tierTable(tiers: readonly FleetTierResult[]): string {
  const head =
    '| tier | gateways x subscribers | hub | fragments in window | deliveries/s | p50 | p99 | max | gateway CPU per delivery | gateways CPU (% of a core) | GetMedia calls / most open | Redis commands per fragment | Redis CPU per fragment | Redis commands/s | every fragment to every subscriber | gaps / errors / closed / dup / out of order | other CPU |\n' +
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|---:|';
  const rows = tiers.map((tier) => {
    const perDelivery = cpuPerDeliveryUs(tier);
    const perFragment = redisPerFragment(tier);
    const seconds = tier.windowMs / 1000;
    return [
      tier.label,
      `${tier.instances} x ${n(tier.perInstance)}${tier.connected === tier.instances * tier.perInstance ? '' : ` (${n(tier.connected)} connected)`}`,
      tier.redisMasters === undefined ? tier.hub : `${tier.hub} (Cluster, ${tier.redisMasters} masters)`,
      n(tier.sourceFragments),
      n(tier.deliveries / seconds),
      ms(tier.latency?.p50 ?? null),
      ms(tier.latency?.p99 ?? null),
      ms(tier.latency?.max ?? null),
      perDelivery === null ? '—' : `${fixed(perDelivery, 1)} µs`,
      `${fixed((tier.gatewayCpuMs / tier.windowMs) * 100, 0)}%`,
      `${n(tier.getMediaCalls)} / ${n(tier.upstreamMaxOpen)}`,
      perFragment === null ? '—' : fixed(perFragment.commands, 1),
      perFragment === null ? '—' : `${fixed(perFragment.cpuUs, 0)} µs`,
      tier.redis === null ? '—' : n(tier.redis.commands / seconds),
      everyFragment(tier),
      `${n(tier.gaps)} / ${n(tier.errors)} / ${n(tier.closed)} / ${n(tier.duplicates)} / ${n(tier.outOfOrder)}`,
      `${fixed(tier.otherCpuPercent, 0)}%`,
    ].join(' | ');
  });
  return [head, ...rows.map((row) => `| ${row} |`)].join('\n');
}

/** Redis commands per fragment by command, one column per fleet tier. */
export function commandTable(tiers: readonly FleetTierResult[]): string {
  const redisTiers = tiers.filter((tier) => tier.hub === 'redis' && tier.redis !== null && tier.sourceFragments > 0);
  if (redisTiers.length === 0) return '';
  const names = [...new Set(redisTiers.flatMap((tier) => (tier.redis?.byCommand ?? []).map(([name]) => name)))];
  const perFragment = (tier: FleetTierResult, name: string): number => (tier.redis?.byCommand.find(([command]) => command === name)?.[1] ?? 0) / tier.sourceFragments;
  names.sort((a, b) => perFragment(redisTiers[redisTiers.length - 1] as FleetTierResult, b) - perFragment(redisTiers[redisTiers.length - 1] as FleetTierResult, a));
  const head = `| command | ${redisTiers.map((tier) => `${tier.label} (per fragment)`).join(' | ')} |\n|---|${redisTiers.map(() => '---:').join('|')}|`;
  const rows = names.map((name) => `| ${name} | ${redisTiers.map((tier) => fixed(perFragment(tier, name), 2)).join(' | ')} |`);
  return [head, ...rows].join('\n');
}

function failoverTable(failover: FailoverResult): string {
  return [
    '| tier | survivors | lease TTL | new GetMedia after | first delivery after | every survivor reached after | fragments checked | survivors missing any / fewest received | duplicates / out of order | GetMedia open at once after the kill |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|---:|',
    `| ${failover.tier} | ${n(failover.survivors)} | ${ms(failover.leaseTtlMs)} | ${ms(failover.takeoverMs)} | ${ms(failover.firstDeliveryMs)} | ${ms(failover.allSurvivorsMs)} | ${n(failover.checkedFragments)} | ${n(failover.survivorsMissingSome)} / ${n(failover.fewestReceived)} | ${n(failover.duplicates)} / ${n(failover.outOfOrder)} | ${n(failover.upstreamMaxOpenAfter)} |`,
  ].join('\n');
}

function memoryTable(memory: StreamMemory): string {
  const total = memory.keys.reduce((sum, key) => sum + key.bytes, 0);
  return [
    '| key (role) | type | entries | MEMORY USAGE |',
    '|---|---|---:|---:|',
    ...memory.keys.map((key) => `| ${key.role} | ${key.type} | ${key.entries === null ? '—' : n(key.entries)} | ${n(key.bytes)} B |`),
    `| all keys of the stream | | | ${n(total)} B |`,
    `| client connections (all instances, \`connected_clients\`; \`mem_clients_normal\`) | | ${n(memory.connectedClients)} | ${n(memory.clientMemoryBytes)} B |`,
  ].join('\n');
}

function opCostTable(costs: OpCosts): string {
  return [
    '| operation | operations | Redis commands per operation | Redis CPU per operation |',
    '|---|---:|---:|---:|',
    ...costs.costs.map((cost) => `| ${cost.operation} | ${n(cost.count)} | ${fixed(cost.commandsPerOp, 1)} | ${fixed(cost.cpuUsPerOp, 1)} µs |`),
    `| memory per stream: log of ${n(costs.entriesPerStream)} entries (${n(costs.payloadBytes)}-byte payload), lease, fence, head, interest of ${costs.instances} instances | | | ${n(costs.memoryPerStreamBytes)} B |`,
  ].join('\n');
}

/** Ratios and differences the targets are about. */
export interface Comparison {
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean | null;
}

/** The comparisons between tiers, each with its target. */
export function comparisons(results: FleetResults): Comparison[] {
  const { targets } = results;
  const found: Comparison[] = [];
  // The Cluster tier is compared with its one-server twin below, not counted among the tiers the targets compare.
  const fleet = results.tiers.filter((tier) => tier.kind === 'fleet' && tier.redisMasters === undefined);
  for (const tier of results.tiers.filter((each) => each.kind === 'fleet')) {
    found.push({
      what: `${tier.label}: upstream GetMedia (calls / most open at once)`,
      value: `${n(tier.getMediaCalls)} / ${n(tier.upstreamMaxOpen)}`,
      target: `${targets.upstream} / ${targets.upstream}`,
      met: tier.getMediaCalls === targets.upstream && tier.upstreamMaxOpen <= targets.upstream,
    });
  }
  const single = results.tiers.find((tier) => tier.kind === 'single');
  const largest = fleet.reduce<FleetTierResult | undefined>((best, tier) => (best === undefined || tier.perInstance > best.perInstance ? tier : best), undefined);
  if (single !== undefined && largest !== undefined && single.latency !== null && largest.latency !== null) {
    const added = largest.latency.p99 - single.latency.p99;
    found.push({ what: `p99 latency, ${largest.label} minus ${single.label}`, value: `${n(added)} ms (${n(largest.latency.p99)} vs ${n(single.latency.p99)})`, target: `<= ${targets.addedP99Ms} ms`, met: added <= targets.addedP99Ms });
  }
  const fleetCpu = largest === undefined ? null : cpuPerDeliveryUs(largest);
  const singleCpu = single === undefined ? null : cpuPerDeliveryUs(single);
  if (fleetCpu !== null && singleCpu !== null && largest !== undefined && single !== undefined) {
    const ratio = fleetCpu / singleCpu;
    found.push({ what: `gateway CPU per delivery, ${largest.label} / ${single.label}`, value: `${fixed(ratio, 2)} (${fixed(fleetCpu, 1)} vs ${fixed(singleCpu, 1)} µs)`, target: `<= ${targets.cpuRatio}`, met: ratio <= targets.cpuRatio });
  }
  const redisTiers = [...fleet].filter((tier) => redisPerFragment(tier) !== null).sort((a, b) => a.perInstance - b.perInstance);
  const small = redisTiers[0];
  const big = redisTiers[redisTiers.length - 1];
  if (small !== undefined && big !== undefined && small !== big) {
    const a = redisPerFragment(small);
    const b = redisPerFragment(big);
    if (a !== null && b !== null) {
      const growth = `subscribers x${fixed(big.perInstance / small.perInstance, 0)}`;
      found.push({ what: `Redis commands per fragment, ${big.label} / ${small.label} (${growth})`, value: `${fixed(b.commands / a.commands, 2)} (${fixed(b.commands, 1)} vs ${fixed(a.commands, 1)})`, target: `<= ${targets.flatRatio}`, met: b.commands / a.commands <= targets.flatRatio });
      found.push({ what: `Redis CPU per fragment, ${big.label} / ${small.label} (${growth})`, value: `${fixed(b.cpuUs / a.cpuUs, 2)} (${fixed(b.cpuUs, 0)} vs ${fixed(a.cpuUs, 0)} µs)`, target: `<= ${targets.flatRatio}`, met: b.cpuUs / a.cpuUs <= targets.flatRatio });
    }
  }
  for (const cluster of results.tiers.filter((tier) => tier.redisMasters !== undefined)) {
    const twin = fleet.find((tier) => tier.perInstance === cluster.perInstance && tier.hub === cluster.hub);
    if (twin !== undefined) found.push(...clusterComparisons(cluster, twin));
  }
  const failover = results.failover;
  if (failover !== null) {
    const limit = failover.leaseTtlMs + targets.failoverSlackMs;
    found.push({ what: 'F2 failover: every survivor receives new fragments again', value: ms(failover.allSurvivorsMs), target: `<= ${n(limit)} ms (lease TTL + ${n(targets.failoverSlackMs)} ms)`, met: failover.allSurvivorsMs !== null && failover.allSurvivorsMs <= limit });
    found.push({
      what: 'F2 failover: survivors miss nothing and see nothing twice',
      value: `${n(failover.survivorsMissingSome)} missing any, ${n(failover.duplicates)} duplicates, ${n(failover.outOfOrder)} out of order`,
      target: '0, 0, 0',
      met: failover.survivorsMissingSome === 0 && failover.duplicates === 0 && failover.outOfOrder === 0,
    });
    found.push({ what: 'F2 failover: GetMedia open at once after the kill', value: n(failover.upstreamMaxOpenAfter), target: `<= ${targets.upstream}`, met: failover.upstreamMaxOpenAfter <= targets.upstream });
  }
  found.push({ what: 'whole run: most GetMedia open at once (emulator lifetime maxOpenGetMedia)', value: n(results.lifetimeMaxOpen), target: `<= ${targets.upstream}`, met: results.lifetimeMaxOpen <= targets.upstream });
  return found;
}

/** How a tier on a Redis Cluster compares with the same tier on one Redis server; measured, with no target. */
function clusterComparisons(cluster: FleetTierResult, twin: FleetTierResult): Comparison[] {
  const found: Comparison[] = [];
  const label = `${cluster.label} / ${twin.label}`;
  const clusterCpu = cpuPerDeliveryUs(cluster);
  const twinCpu = cpuPerDeliveryUs(twin);
  if (clusterCpu !== null && twinCpu !== null) {
    found.push({ what: `gateway CPU per delivery, ${label}`, value: `${fixed(clusterCpu / twinCpu, 2)} (${fixed(clusterCpu, 1)} vs ${fixed(twinCpu, 1)} µs)`, target: 'measured', met: null });
  }
  if (cluster.latency !== null && twin.latency !== null) {
    found.push({ what: `p99 latency, ${cluster.label} minus ${twin.label}`, value: `${n(cluster.latency.p99 - twin.latency.p99)} ms (${n(cluster.latency.p99)} vs ${n(twin.latency.p99)})`, target: 'measured', met: null });
  }
  const a = redisPerFragment(cluster);
  const b = redisPerFragment(twin);
  if (a !== null && b !== null) {
    found.push({ what: `Redis commands per fragment, ${label}`, value: `${fixed(a.commands / b.commands, 2)} (${fixed(a.commands, 1)} vs ${fixed(b.commands, 1)})`, target: 'measured', met: null });
    found.push({ what: `Redis CPU per fragment (all masters), ${label}`, value: `${fixed(a.cpuUs / b.cpuUs, 2)} (${fixed(a.cpuUs, 0)} vs ${fixed(b.cpuUs, 0)} µs)`, target: 'measured', met: null });
    const busy = (tier: FleetTierResult): number | null =>
      tier.redis === null || tier.redisIdleCpuMsPerS === undefined ? null : ((tier.redis.cpuMs - (tier.redisIdleCpuMsPerS * tier.windowMs) / 1000) * 1000) / tier.sourceFragments;
    const clusterBusy = busy(cluster);
    const twinBusy = busy(twin);
    if (clusterBusy !== null && twinBusy !== null) {
      found.push({
        what: `Redis CPU per fragment above idle (idle ${fixed(cluster.redisIdleCpuMsPerS ?? 0, 1)} vs ${fixed(twin.redisIdleCpuMsPerS ?? 0, 1)} ms/s), ${label}`,
        value: `${fixed(clusterBusy / twinBusy, 2)} (${fixed(clusterBusy, 0)} vs ${fixed(twinBusy, 0)} µs)`,
        target: 'measured',
        met: null,
      });
    }
  }
  return found;
}

function comparisonTable(rows: readonly Comparison[]): string {
  return ['| measure | value | target | met |', '|---|---|---|---|', ...rows.map((row) => `| ${row.what} | ${row.value} | ${row.target} | ${row.met === null ? '—' : row.met ? 'yes' : '**no**'} |`)].join('\n');
}

/** The lines of the targets that were missed. */
export function missedTargets(results: FleetResults): string[] {
  return comparisons(results)
    .filter((row) => row.met === false)
    .map((row) => `${row.what}: ${row.value}, target ${row.target}`);
}

/** All tables, for stdout. */
export function formatTables(results: FleetResults): string {
  const parts = [tierTable(results.tiers), comparisonTable(comparisons(results))];
  const commands = commandTable(results.tiers);
  if (commands !== '') parts.push(commands);
  if (results.failover !== null) parts.push(failoverTable(results.failover));
  if (results.memory !== null) parts.push(memoryTable(results.memory));
  if (results.opCosts !== null) parts.push(opCostTable(results.opCosts));
  return `${parts.join('\n\n')}\n`;
}

/** The section appended to bench/RESULTS.md. */
export function formatSection(results: FleetResults, setup: string): string {
  const missed = missedTargets(results);
  const lines = [
    `## Fleet mode (npm run bench:fleet), ${results.date} ${results.time} UTC`,
    '',
    `- Date: ${results.date}`,
    `- Machine: \`${results.uname}\`; ${results.machine}`,
    `- Command: \`${results.command}\` on \`${results.revision}\``,
    `- Setup: ${setup}`,
    '',
    tierTable(results.tiers),
    '',
    comparisonTable(comparisons(results)),
  ];
  const commands = commandTable(results.tiers);
  if (commands !== '') lines.push('', 'Redis commands per source fragment, by command (the window\'s calls divided by the fragments the emulator produced in it):', '', commands);
  if (results.failover !== null) {
    const { checkBeforeMs, checkAfterMs } = results.failover;
    lines.push(
      '',
      `Failover (F2): the reader lease holder SIGKILLed while fragments flow at 10/s; times from the kill; fragments checked: those the emulator produced from ${n(checkBeforeMs / 1000)} s before the kill to ${n(checkAfterMs / 1000)} s after it.`,
      '',
      failoverTable(results.failover),
    );
  }
  if (results.memory !== null) {
    lines.push('', `Redis memory of one stream's keys in fleet mode (${results.memory.tier}, \`LIVE_WINDOW_FRAGMENTS\`=${results.memory.windowFragments}, Redis ${results.redisVersion}, \`MEMORY USAGE key SAMPLES 0\`):`, '', memoryTable(results.memory));
  }
  if (results.opCosts !== null) {
    const costs = results.opCosts;
    lines.push(
      '',
      `Redis cost per fleet operation, measured last with the gateways stopped: the hub's own code (lease ticks, the fenced append, tail reads, announcements) run for ${n(costs.streams)} streams held by one of ${costs.instances} instances and watched by all, every log filled to \`LIVE_WINDOW_FRAGMENTS\` with a real fragment payload from the run; Redis's idle CPU (${fixed(costs.idleCpuUsPerSecond / 1000, 1)} ms/s) subtracted:`,
      '',
      opCostTable(costs),
    );
  }
  lines.push('', missed.length === 0 ? 'Targets: **met**.' : `Targets: **missed**: ${missed.join('; ')}.`, '');
  return lines.join('\n');
}

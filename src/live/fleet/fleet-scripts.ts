import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection.js';

/**
 * The atomic steps of fleet mode, as Lua scripts run by Redis. Each script touches the keys of one stream (or the
 * fleet-wide keys) only, all sharing one hash tag, so they run unchanged on Redis Cluster. Times come from the
 * server's `TIME`, never from an instance's clock, so instances with skewed clocks still agree on expiries. Numbers
 * leave Lua through `%.0f`: Lua's own conversion writes large integers (fencing tokens) in exponent notation.
 */

/** One script: its source and SHA-1, run with EVALSHA (EVAL after a server restart emptied the script cache). */
export class FleetScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    private readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script with `keys` and `args`; resolves with its raw reply.
   * @throws the client's error when Redis is unreachable, times out, or the script fails.
   */
  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

const PRELUDE = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(n) return string.format('%.0f', n) end
-- a > b for decimal integers without leading zeros (fragment numbers exceed Lua's exact integers)
local function newer(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end
`;

/** The lease value that holds a stream's lease for nobody while Redis recovers from losing its data. */
export const QUARANTINE = '~quarantine|0';

/**
 * A stream's coordination tick for one instance: announce (or withdraw) its interest, prune expired interest, then
 * renew the lease when the caller holds it, or take it when it is free (or left over from this instance, e.g. a
 * renewal whose reply was lost) and the caller may. A new holder gets a fencing token from the stream's counter,
 * which starts from the server time in microseconds, so tokens keep growing even when Redis lost its data.
 *
 * Redis losing its data (a restart without persistence, a failover to a replica that had not seen the lease) must not
 * let two instances read: the holder still reads on its confirmed lease. So a holder finding its lease gone (or
 * quarantined) takes it back with its own value, and an instance that knew the stream's log but finds neither lease
 * nor counter (the signature of lost data) does not take the lease: it quarantines it for one lease lifetime, long
 * enough for a living holder to take it back or for a dead one's confirmation to run out.
 *
 * Nobody takes the lease of a stream that ended (a fatal upstream error) until its cooldown is over.
 *
 * KEYS: lease, fence, interest, log, head, status, ended. ARGV: instance, holder value or '', interested 1|0,
 * may acquire 1|0, lease ttl ms, interest ttl ms, log grace ms, knew the log 1|0.
 * Reply: { 'held' | 'acquired' | 'other', lease value or '', head fragment number or '', interested instances }.
 */
export const TICK = new FleetScript(
  'tick',
  `${PRELUDE}
local now = nowMs()
local me = ARGV[1]
local quarantine = '${QUARANTINE}'
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[3], int(now + tonumber(ARGV[6])), me)
else
  redis.call('ZREM', KEYS[3], me)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(now))
local interested = redis.call('ZRANGE', KEYS[3], 0, -1)
if #interested > 0 then redis.call('PEXPIRE', KEYS[3], int(2 * tonumber(ARGV[6]))) end
local current = redis.call('GET', KEYS[1])
local state = 'other'
local value = current or ''
if ARGV[2] ~= '' and (current == ARGV[2] or (not current) or current == quarantine) then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[5])
  for i = 4, 6 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
  redis.call('PEXPIRE', KEYS[2], 86400000)
  value = ARGV[2]
  state = 'held'
elseif ARGV[4] == '1' and ARGV[2] == '' and ((not current) or string.sub(current, 1, #me + 1) == me .. '|') and redis.call('EXISTS', KEYS[7]) == 0 then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('SET', KEYS[2], int(now * 1000))
    if ARGV[8] == '1' and not current then
      redis.call('SET', KEYS[1], quarantine, 'PX', ARGV[5])
      return {'other', quarantine, redis.call('GET', KEYS[5]) or '', interested}
    end
  end
  local token = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], 86400000)
  value = me .. '|' .. int(token)
  redis.call('SET', KEYS[1], value, 'PX', ARGV[5])
  state = 'acquired'
end
local head = redis.call('GET', KEYS[5]) or ''
return {state, value, head, interested}
`,
);

/**
 * Appends one entry to a stream's log, only while `holder` still holds the lease (the fencing check): a paused or
 * partitioned former holder gets 0 and appends nothing. A fragment must be newer than the log's head (else -1, a
 * duplicate, appends nothing), becomes the new head, and records the fragment before it (`p`: the head, or `after`
 * when the log lost its head) so readers can tell when they missed entries. A gap that resets the numbering clears
 * the head; a status is also kept as the stream's current status, and an end as the stream's end for its cooldown.
 *
 * KEYS: lease, log, head, status, ended. ARGV: holder value, max log length, kind f|g|s|e, fragment number or '',
 * after or '', payload, log grace ms, 1 when a gap resets the numbering, end cooldown ms.
 * Reply: the entry id, 0 (fenced) or -1 (duplicate).
 */
export const APPEND = new FleetScript(
  'append',
  `${PRELUDE}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local kind = ARGV[3]
local id
if kind == 'f' then
  local head = redis.call('GET', KEYS[3])
  if head and not newer(ARGV[4], head) then return -1 end
  id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'k', 'f', 'n', ARGV[4], 'p', head or ARGV[5], 'd', ARGV[6])
  redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[7])
else
  if kind == 'g' and ARGV[8] == '1' then redis.call('DEL', KEYS[3]) end
  if kind == 's' then redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[7]) end
  if kind == 'e' then redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[9]) end
  id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'k', kind, 'd', ARGV[6])
end
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return id
`,
);

/**
 * Gives a lease up. `handover`: appends a hand-over entry (every instance tailing the log wakes and may take the lease
 * at once) and deletes the lease, keeping the log for the next holder. `linger`: only when no instance is interested
 * any more, deletes the lease and the log (the next reader starts afresh at NOW); -1 when someone is interested.
 *
 * KEYS: lease, interest, log, head, status. ARGV: holder value, handover|linger, max log length, log grace ms.
 * Reply: 1 released, 0 not the holder, -1 kept (interest).
 */
export const RELEASE = new FleetScript(
  'release',
  `${PRELUDE}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'linger' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', int(nowMs()))
  if redis.call('ZCARD', KEYS[2]) > 0 then return -1 end
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
  return 1
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'k', 'h')
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('DEL', KEYS[1])
return 1
`,
);

/**
 * Takes one of a stream's GetMedia session permits (a sorted set of permits scored by expiry) when fewer than the
 * maximum are unexpired. KEYS: sessions. ARGV: permit id, maximum, ttl ms. Reply: 0 granted, else a hint in ms of
 * when the oldest permit expires.
 */
export const SESSION_ACQUIRE = new FleetScript(
  'session-acquire',
  `${PRELUDE}
local now = nowMs()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], int(now + tonumber(ARGV[3])), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) - now)
`,
);

/** Extends held permits. KEYS: sessions. ARGV: ttl ms, permit ids... Reply: how many still existed. */
export const SESSION_REFRESH = new FleetScript(
  'session-refresh',
  `${PRELUDE}
local expiry = int(nowMs() + tonumber(ARGV[1]))
local kept = 0
for i = 2, #ARGV do kept = kept + redis.call('ZADD', KEYS[1], 'XX', 'CH', expiry, ARGV[i]) end
if kept > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return kept
`,
);

/**
 * Takes a GetMedia call token: at most `maximum` calls stamped in any window of `window` ms (a sliding log, as the
 * service counts). KEYS: calls. ARGV: call id, maximum, window ms. Reply: 0 granted, else ms until one frees.
 */
export const CALL_TAKE = new FleetScript(
  'call-take',
  `${PRELUDE}
local now = nowMs()
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now - window - 1))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], int(now), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], int(window * 3))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window + 1 - now)
`,
);

/**
 * Re-stamps a call token when its call was answered, an upper bound of when the service counted it (see
 * TokenBucket); only ever later. KEYS: calls. ARGV: call id, window ms.
 */
export const CALL_SETTLE = new FleetScript(
  'call-settle',
  `${PRELUDE}
redis.call('ZADD', KEYS[1], 'GT', int(nowMs()), ARGV[1])
redis.call('PEXPIRE', KEYS[1], int(tonumber(ARGV[2]) * 3))
return 1
`,
);

/**
 * An instance's fleet announcement: while active (it watches or holds something) it is a member (expiring) and says
 * how many leases it holds, and for operators how many streams it watches and when it announced; otherwise it
 * withdraws. Expired members lose their held count and activity. Constant work per call, whatever the number of
 * streams.
 *
 * KEYS: members, held, activity. ARGV: instance, ttl ms, active 1|0, held count, watched count.
 * Reply: { members, held hash as a flat list }.
 */
export const ANNOUNCE = new FleetScript(
  'announce',
  `${PRELUDE}
local now = nowMs()
local ttl = tonumber(ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], int(now + ttl), ARGV[1])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5] .. '|' .. int(now))
else
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
end
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now))) do
  redis.call('HDEL', KEYS[2], gone)
  redis.call('HDEL', KEYS[3], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', int(now))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], int(ttl * 4)) end
return {redis.call('ZRANGE', KEYS[1], 0, -1), redis.call('HGETALL', KEYS[2])}
`,
);

/**
 * Records a reader failover in the fleet's capped list, stamped with the server time (`at`, ms), newest first.
 * Fleet-wide, so it shares the `{fleet}` slot, not the stream's: on Redis Cluster it is a command of its own after
 * the takeover, never part of it.
 *
 * KEYS: failovers. ARGV: the entry as a JSON object without `at`, maximum length, ttl ms.
 * Reply: 1.
 */
export const RECORD_FAILOVER = new FleetScript(
  'record-failover',
  `${PRELUDE}
local entry = cjson.decode(ARGV[1])
entry['at'] = nowMs()
redis.call('LPUSH', KEYS[1], cjson.encode(entry))
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
);

/**
 * Reads the fleet for operators in one round trip on the `{fleet}` slot: the server time, the members with their
 * expiries, the held counts, the activity, and the newest failovers. Changes nothing; O(instances + failovers read).
 *
 * KEYS: members, held, activity, failovers. ARGV: failovers to read.
 * Reply: { now ms, members and expiries as a flat list, held as a flat list, activity as a flat list, failovers }.
 */
export const FLEET_VIEW = new FleetScript(
  'fleet-view',
  `${PRELUDE}
return {
  int(nowMs()),
  redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES'),
  redis.call('HGETALL', KEYS[2]),
  redis.call('HGETALL', KEYS[3]),
  redis.call('LRANGE', KEYS[4], 0, tonumber(ARGV[1]) - 1)
}
`,
);

import { useEffect, useState } from 'react';
import { ApiError, formatDateTime, gql, refusalOf } from './api.js';
import { ErrorAlert, Table, ViewFrame } from './ui.js';

const LIVE_HUB_QUERY = `query ConsoleLiveHub {
  liveHub {
    mode
    instance
    streams { name status statusDetail subscribers upstreamSessions liveReaderRunning lease { holder fencingToken heldByThisInstance } interestedInstances }
    fleet {
      instances { id thisInstance alive lastSeenAt leasesHeld streamsWatched }
      recentFailovers { stream fromInstance toInstance at fencingToken cause }
    }
  }
}`;

/** How often the live hub's state is read again while a view shows it. */
export const LIVE_HUB_POLL_MS = 3_000;

/** One stream of `Query.liveHub`, as the console selects it. */
export interface LiveHubStream {
  readonly name: string;
  readonly status: string | null;
  readonly statusDetail: string | null;
  readonly subscribers: number;
  readonly upstreamSessions: number;
  readonly liveReaderRunning: boolean;
  readonly lease: { readonly holder: string; readonly fencingToken: string; readonly heldByThisInstance: boolean } | null;
  readonly interestedInstances: readonly string[] | null;
}

interface FleetInstance {
  readonly id: string;
  readonly thisInstance: boolean;
  readonly alive: boolean;
  readonly lastSeenAt: string | null;
  readonly leasesHeld: number;
  readonly streamsWatched: number | null;
}

interface Failover {
  readonly stream: string;
  readonly fromInstance: string;
  readonly toInstance: string;
  readonly at: string;
  readonly fencingToken: string;
  readonly cause: string;
}

/** `Query.liveHub` as the console selects it. */
export interface LiveHub {
  readonly mode: 'LOCAL' | 'FLEET';
  readonly instance: string;
  readonly streams: readonly LiveHubStream[];
  readonly fleet: { readonly instances: readonly FleetInstance[]; readonly recentFailovers: readonly Failover[] } | null;
}

/** What {@link useLiveHub} knows. */
export interface LiveHubState {
  /** The last answer; kept while a later read fails, so a blip does not blank the view. */
  readonly hub: LiveHub | undefined;
  /** Why the last read failed; undefined after a successful one. */
  readonly error: unknown;
  /** False until the first read answered (or failed). */
  readonly loaded: boolean;
  /** When the last successful read answered (epoch ms). */
  readonly readAt: number | undefined;
}

/** A refusal of the credential does not change by asking again; anything else may. */
function refused(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED');
}

/**
 * Reads `Query.liveHub` when mounted and every {@link LIVE_HUB_POLL_MS} after each answer (never two reads at once),
 * until unmounted or refused (a credential without `ops:read`: `error` then says so and reading stops).
 */
export function useLiveHub(): LiveHubState {
  const [state, setState] = useState<LiveHubState>({ hub: undefined, error: undefined, loaded: false, readAt: undefined });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async (): Promise<void> => {
      try {
        const { liveHub } = await gql<{ liveHub: LiveHub }>(LIVE_HUB_QUERY);
        if (stopped) return;
        setState({ hub: liveHub, error: undefined, loaded: true, readAt: Date.now() });
      } catch (error) {
        if (stopped) return;
        setState((previous) => ({ ...previous, error, loaded: true }));
        if (refused(error)) return;
      }
      timer = setTimeout(() => void read(), LIVE_HUB_POLL_MS);
    };
    void read();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return state;
}

/** The Fleet view: this instance, and in fleet mode the instances, each stream's lease holder and recent failovers. */
export function FleetView(): React.JSX.Element {
  const { hub, error, loaded, readAt } = useLiveHub();
  return (
    <ViewFrame headingId="fleet-heading" title="Fleet" refusal={refusalOf(error)}>
      <ErrorAlert error={error} />
      {!loaded && <p>Loading…</p>}
      {hub !== undefined && <HubDetails hub={hub} readAt={readAt} />}
    </ViewFrame>
  );
}

function HubDetails({ hub, readAt }: { readonly hub: LiveHub; readonly readAt: number | undefined }): React.JSX.Element {
  return (
    <>
      <p>
        Answered by instance <span className="mono" data-testid="this-instance">{hub.instance}</span>
        {readAt !== undefined && (
          <span className="muted">
            {' '}
            (read at <time dateTime={new Date(readAt).toISOString()}>{new Date(readAt).toLocaleTimeString()}</time>, every {LIVE_HUB_POLL_MS / 1000} s)
          </span>
        )}
      </p>
      {hub.mode === 'LOCAL' || hub.fleet === null ? <LocalHub hub={hub} /> : <FleetHub hub={hub} fleet={hub.fleet} />}
    </>
  );
}

function LocalHub({ hub }: { readonly hub: LiveHub }): React.JSX.Element {
  return (
    <>
      <p data-testid="fleet-mode">
        Fleet mode is off (<code>LIVE_HUB=local</code>): every instance reads the streams its own subscribers watch, so there are no leases or failovers to show.
      </p>
      <h3 id="local-streams-heading">Streams this instance watches</h3>
      {hub.streams.length === 0 ? (
        <p className="muted">None: no subscriber is attached to this instance.</p>
      ) : (
        <Table labelledBy="local-streams-heading" columns={['Stream', 'Status', 'Subscribers', 'Upstream sessions', 'Live reader']}>
          {hub.streams.map((stream) => (
            <tr key={stream.name}>
              <td>{stream.name}</td>
              <td>{statusOf(stream)}</td>
              <td>{stream.subscribers}</td>
              <td>{stream.upstreamSessions}</td>
              <td>{stream.liveReaderRunning ? 'running' : 'stopped'}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function FleetHub({ hub, fleet }: { readonly hub: LiveHub; readonly fleet: NonNullable<LiveHub['fleet']> }): React.JSX.Element {
  return (
    <>
      <p data-testid="fleet-mode">
        Fleet mode is on (<code>LIVE_HUB=redis</code>): the instances below share one reader per stream; the lease holder reads it.
      </p>
      <h3 id="instances-heading">Instances</h3>
      {fleet.instances.length === 0 ? (
        <p className="muted">None announced: an instance announces itself while it watches or reads a stream.</p>
      ) : (
        <Table labelledBy="instances-heading" testId="fleet-instances" columns={['Instance', 'Alive', 'Last seen', 'Leases held', 'Streams watched']}>
          {fleet.instances.map((instance) => (
            <tr key={instance.id} aria-current={instance.thisInstance ? 'true' : undefined}>
              <td className="mono">
                {instance.id}
                {instance.thisInstance && <span className="muted"> (this instance)</span>}
              </td>
              <td>{instance.alive ? 'yes' : 'expired'}</td>
              <td>{formatDateTime(instance.lastSeenAt)}</td>
              <td>{instance.leasesHeld}</td>
              <td>{instance.streamsWatched ?? '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3 id="leases-heading">Reader leases of the streams this instance watches</h3>
      {hub.streams.length === 0 ? (
        <p className="muted">None: this instance watches no stream. Another instance lists its own.</p>
      ) : (
        <Table
          labelledBy="leases-heading"
          columns={['Stream', 'Status', 'Lease holder', 'Fencing token', 'Subscribers here', 'Upstream sessions here', 'Interested instances']}
        >
          {hub.streams.map((stream) => (
            <tr key={stream.name}>
              <td>{stream.name}</td>
              <td>{statusOf(stream)}</td>
              <td className="mono" data-testid={`holder-${stream.name}`}>
                {stream.lease === null ? 'none' : stream.lease.holder}
                {stream.lease?.heldByThisInstance === true && <span className="muted"> (this instance)</span>}
              </td>
              <td className="mono">{stream.lease?.fencingToken ?? '—'}</td>
              <td>{stream.subscribers}</td>
              <td>{stream.upstreamSessions}</td>
              <td className="mono wrap">{(stream.interestedInstances ?? []).join(', ') || '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3 id="failovers-heading">Recent failovers</h3>
      {fleet.recentFailovers.length === 0 ? (
        <p className="muted">None recorded.</p>
      ) : (
        <Table labelledBy="failovers-heading" testId="fleet-failovers" columns={['When', 'Stream', 'From', 'To', 'Cause', 'Fencing token']}>
          {fleet.recentFailovers.map((failover) => (
            <tr key={`${failover.stream}-${failover.fencingToken}`}>
              <td>{formatDateTime(failover.at)}</td>
              <td>{failover.stream}</td>
              <td className="mono">{failover.fromInstance}</td>
              <td className="mono">{failover.toInstance}</td>
              <td>{failover.cause === 'HANDOVER' ? 'handed over' : 'lease expired'}</td>
              <td className="mono">{failover.fencingToken}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

function statusOf(stream: LiveHubStream): string {
  if (stream.status === null) return '—';
  return stream.statusDetail === null ? stream.status : `${stream.status} (${stream.statusDetail})`;
}

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { gql, messageOf, subscribe } from './api.js';
import { ArchiveControls, archiveSeriesOf, type Archive } from './archive.js';
import { CHART_WINDOW_S, LiveChart, type ChartData, type ChartMarker } from './chart.js';
import { useLiveHub, type LiveHubStream } from './fleet.js';
import { ErrorAlert, Table } from './ui.js';

const STREAMS_QUERY = `query ConsoleStreams($after: String) {
  streams(first: 50, after: $after) {
    edges { node { name status mediaType retentionHours } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const FRAGMENTS_SUBSCRIPTION = `subscription ConsoleStreamFragments($stream: String!, $start: StreamStartInput) {
  streamFragments(stream: $stream, start: $start) {
    __typename
    ... on FragmentEvent { fragment { fragmentNumber serverTimestamp producerTimestamp millisBehindNow frameCount keyframeCount payloadBytes } }
    ... on GapEvent { reason afterFragmentNumber beforeFragmentNumber missedFragments }
    ... on StatusEvent { status detail }
  }
}`;

interface StreamRow {
  readonly name: string;
  readonly status: string;
  readonly mediaType: string | null;
  readonly retentionHours: number;
}

interface StreamsPage {
  readonly streams: { readonly edges: readonly { readonly node: StreamRow }[]; readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null } };
}

interface LiveFragment {
  readonly fragmentNumber: string;
  readonly serverTimestamp: string | null;
  readonly producerTimestamp: string | null;
  readonly millisBehindNow: number | null;
  readonly frameCount: number;
  readonly keyframeCount: number;
  readonly payloadBytes: number;
}

type StreamEvent =
  | { readonly __typename: 'FragmentEvent'; readonly fragment: LiveFragment }
  | { readonly __typename: 'GapEvent'; readonly reason: string; readonly afterFragmentNumber: string | null; readonly beforeFragmentNumber: string | null; readonly missedFragments: number | null }
  | { readonly __typename: 'StatusEvent'; readonly status: string; readonly detail: string | null };

/** A delivered fragment as the console keeps it: the API's fields plus when it arrived here (epoch ms). */
interface ReceivedFragment extends LiveFragment {
  readonly receivedAt: number;
}

/** Fragments kept for the table and the NDJSON export; older ones are dropped. */
const KEPT_FRAGMENTS = 5_000;
/** Rows the fragment table shows, newest first. */
const TABLE_ROWS = 50;
/** Window over which fragments per second is averaged. */
const RATE_WINDOW_MS = 5_000;

/**
 * The Streams view: every stream with its status; selecting one opens its live chart and fragment table, and the
 * archived fragments of a chosen range on the chart's time axis.
 */
export function StreamsView(): React.JSX.Element {
  const [rows, setRows] = useState<readonly StreamRow[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [feedStatus, setFeedStatus] = useState<Readonly<Record<string, string>>>({});
  // Subscribers and upstream sessions come from `liveHub`, which needs ops:read: without it the columns stay hidden.
  const { hub } = useLiveHub();
  const onHub = new Map<string, LiveHubStream>((hub?.streams ?? []).map((stream) => [stream.name, stream]));

  const load = useCallback(async (after: string | null) => {
    try {
      const page = await gql<StreamsPage>(STREAMS_QUERY, { after });
      setRows((previous) => [...(after === null ? [] : previous), ...page.streams.edges.map((edge) => edge.node)]);
      setNext(page.streams.pageInfo.hasNextPage ? page.streams.pageInfo.endCursor : null);
      setError(undefined);
    } catch (caught) {
      setError(messageOf(caught));
    }
  }, []);

  useEffect(() => {
    void load(null);
  }, [load]);

  const onStatus = useCallback((stream: string, status: string) => setFeedStatus((previous) => ({ ...previous, [stream]: status })), []);

  return (
    <section aria-labelledby="streams-heading">
      <h2 id="streams-heading">Streams</h2>
      <ErrorAlert error={error} />
      <Table
        label="Streams table"
        className="streams"
        caption="Video streams"
        columns={['Stream', 'Status', 'Live feed', ...(hub === undefined ? [] : ['Subscribers here', 'Upstream sessions here']), 'Media type', 'Retention (h)']}
      >
        {rows.map((row) => (
          <tr key={row.name} aria-selected={row.name === selected}>
            <td>
              <button type="button" className="link" aria-pressed={row.name === selected} onClick={() => setSelected(row.name)}>
                {row.name}
              </button>
            </td>
            <td>{row.status}</td>
            <td data-testid={`feed-${row.name}`}>{feedStatus[row.name] ?? (row.name === selected ? 'connecting' : '—')}</td>
            {hub !== undefined && <td data-testid={`subscribers-${row.name}`}>{onHub.get(row.name)?.subscribers ?? 0}</td>}
            {hub !== undefined && <td data-testid={`sessions-${row.name}`}>{onHub.get(row.name)?.upstreamSessions ?? 0}</td>}
            <td>{row.mediaType ?? '—'}</td>
            <td>{row.retentionHours}</td>
          </tr>
        ))}
      </Table>
      {next !== null && (
        <button type="button" onClick={() => void load(next)}>
          More streams
        </button>
      )}
      {selected === undefined ? <p>Select a stream to watch it live.</p> : <LivePanel key={selected} stream={selected} retentionHours={rows.find((row) => row.name === selected)?.retentionHours} onStatus={onStatus} />}
    </section>
  );
}

interface LivePanelProps {
  readonly stream: string;
  readonly retentionHours: number | undefined;
  readonly onStatus: (stream: string, status: string) => void;
}

interface FeedEvent {
  readonly at: number;
  readonly kind: 'gap' | 'status';
  readonly text: string;
}

const EMPTY: ChartData = { time: [], behind: [], latency: [], rate: [] };

function LivePanel({ stream, retentionHours, onStatus }: LivePanelProps): React.JSX.Element {
  const fragments = useRef<ReceivedFragment[]>([]);
  const [chart, setChart] = useState<ChartData>(EMPTY);
  const [markers, setMarkers] = useState<readonly ChartMarker[]>([]);
  const [events, setEvents] = useState<readonly FeedEvent[]>([]);
  const [table, setTable] = useState<readonly ReceivedFragment[]>([]);
  const [paused, setPaused] = useState(false);
  const [resumeFrom, setResumeFrom] = useState('');
  const [start, setStart] = useState<{ type: 'FRAGMENT_NUMBER'; fragmentNumber: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [archive, setArchive] = useState<Archive | undefined>();
  const archiveSeries = useMemo(() => (archive === undefined ? undefined : archiveSeriesOf(archive)), [archive]);

  const addEvent = useCallback((kind: 'gap' | 'status', text: string) => {
    const at = Date.now();
    setEvents((previous) => [{ at, kind, text }, ...previous].slice(0, 100));
    setMarkers((previous) => [...previous.filter((marker) => marker.time > at / 1000 - CHART_WINDOW_S), { time: at / 1000, kind, label: text }]);
  }, []);

  useEffect(() => {
    if (paused) return undefined;
    setError(undefined);
    const stop = subscribe<{ streamFragments: StreamEvent }>(FRAGMENTS_SUBSCRIPTION, { stream, start: start ?? null }, {
      next: ({ streamFragments: event }) => {
        if (event.__typename === 'FragmentEvent') {
          const received: ReceivedFragment = { ...event.fragment, receivedAt: Date.now() };
          fragments.current.push(received);
          if (fragments.current.length > KEPT_FRAGMENTS) fragments.current.splice(0, fragments.current.length - KEPT_FRAGMENTS);
          setChart(chartOf(fragments.current));
          setTable(fragments.current.slice(-TABLE_ROWS).reverse());
          setResumeFrom(received.fragmentNumber);
          onStatus(stream, 'CONNECTED');
        } else if (event.__typename === 'GapEvent') {
          const missed = event.missedFragments === null ? '' : `, ${String(event.missedFragments)} missed`;
          addEvent('gap', `Gap (${event.reason}) after ${event.afterFragmentNumber ?? '?'}${missed}`);
        } else {
          onStatus(stream, event.status);
          addEvent('status', `Status ${event.status}${event.detail === null ? '' : ` (${event.detail})`}`);
        }
      },
      error: (caught) => setError(messageOf(caught)),
      complete: () => onStatus(stream, 'ENDED'),
    });
    return stop;
  }, [stream, paused, start, onStatus, addEvent]);

  const exportNdjson = (): void => {
    const text = fragments.current.map((fragment) => JSON.stringify(fragment)).join('\n');
    const url = URL.createObjectURL(new Blob([text === '' ? '' : `${text}\n`], { type: 'application/x-ndjson' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${stream}-fragments.ndjson`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  return (
    <section className="live" aria-labelledby="live-heading">
      <h3 id="live-heading">Live: {stream}</h3>
      <ErrorAlert error={error} />
      <LiveChart
        data={chart}
        markers={markers}
        archive={archiveSeries}
        label={`Live chart of ${stream}: millisBehindNow, delivery latency and fragments per second${archive === undefined ? '' : `, with ${String(archive.fragments.length)} archived fragments`}`}
      />
      <ArchiveControls stream={stream} retentionHours={retentionHours} onArchive={setArchive} />
      <div className="columns">
        <div>
          <h4>Gaps and status changes</h4>
          <ol className="events" aria-live="polite" data-testid="feed-events">
            {events.length === 0 && <li className="muted">None yet.</li>}
            {events.map((event) => (
              <li key={`${String(event.at)}-${event.text}`} className={event.kind}>
                <time dateTime={new Date(event.at).toISOString()}>{new Date(event.at).toLocaleTimeString()}</time> {event.text}
              </li>
            ))}
          </ol>
        </div>
        <div>
          <h4>Fragments</h4>
          <div className="toolbar">
            <button type="button" onClick={() => setPaused(true)} disabled={paused}>
              Pause
            </button>
            <label>
              Resume from fragment number
              <input value={resumeFrom} onChange={(event) => setResumeFrom(event.target.value.trim())} inputMode="numeric" pattern="[0-9]*" />
            </label>
            <button
              type="button"
              disabled={!paused}
              onClick={() => {
                setStart(resumeFrom === '' ? undefined : { type: 'FRAGMENT_NUMBER', fragmentNumber: resumeFrom });
                setPaused(false);
              }}
            >
              Resume
            </button>
            <button type="button" onClick={exportNdjson}>
              Export NDJSON
            </button>
          </div>
          <Table
            label="Fragments table"
            className="fragments"
            caption={`Latest fragments of ${stream}, newest first`}
            columns={['Number', 'Server time', 'Producer time', 'Frames', 'Keyframes', 'Behind (ms)']}
          >
            {table.map((fragment) => (
              <tr key={fragment.fragmentNumber}>
                <td className="mono">{fragment.fragmentNumber}</td>
                <td>{timeOf(fragment.serverTimestamp)}</td>
                <td>{timeOf(fragment.producerTimestamp)}</td>
                <td>{fragment.frameCount}</td>
                <td>{fragment.keyframeCount}</td>
                <td>{fragment.millisBehindNow ?? '—'}</td>
              </tr>
            ))}
          </Table>
        </div>
      </div>
    </section>
  );
}

function timeOf(iso: string | null): string {
  return iso === null ? '—' : new Date(iso).toLocaleTimeString(undefined, { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });
}

/**
 * Chart columns of the fragments received in the chart's window. Latency is arrival here minus Kinesis's server
 * timestamp, so it includes this browser's clock offset from Kinesis's.
 */
function chartOf(received: readonly ReceivedFragment[]): ChartData {
  const since = Date.now() - CHART_WINDOW_S * 1000;
  const data: ChartData = { time: [], behind: [], latency: [], rate: [] };
  let windowStart = 0;
  received.forEach((fragment, index) => {
    if (fragment.receivedAt < since) return;
    while ((received[windowStart]?.receivedAt ?? Infinity) <= fragment.receivedAt - RATE_WINDOW_MS) windowStart += 1;
    const first = received[0]?.receivedAt ?? fragment.receivedAt;
    const span = Math.min(RATE_WINDOW_MS, Math.max(fragment.receivedAt - first, 1_000));
    data.time.push(fragment.receivedAt / 1000);
    data.behind.push(fragment.millisBehindNow);
    data.latency.push(fragment.serverTimestamp === null ? null : fragment.receivedAt - Date.parse(fragment.serverTimestamp));
    data.rate.push(Math.round(((index - windowStart + 1) / span) * 10_000) / 10);
  });
  return data;
}

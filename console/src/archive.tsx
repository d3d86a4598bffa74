import { useCallback, useEffect, useRef, useState } from 'react';
import { formatDateTime, gql, problemOf, type Connection } from './api.js';
import type { ArchiveSeries } from './chart.js';
import { ErrorAlert } from './ui.js';

/**
 * Most archived fragments one range loads (20 pages of 100). A day of a 2-second stream holds 43,200: past the cap the
 * page says the listing stopped instead of paging on, because Kinesis lists in no set order and the rest may matter.
 */
export const ARCHIVE_CAP = 2_000;
/** Fragments asked for per page: the API's most (`first` is capped at 100). */
const PAGE_SIZE = 100;

const ARCHIVE_QUERY = `query ConsoleArchivedFragments($stream: String!, $from: DateTimeISO!, $to: DateTimeISO!, $first: Int!, $after: String) {
  stream(name: $stream) {
    fragments(first: $first, after: $after, from: $from, to: $to, timestampType: SERVER_TIMESTAMP) {
      edges { node { fragmentNumber serverTimestamp producerTimestamp durationMs sizeBytes } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** One stored fragment as the console selects it from `Stream.fragments`. */
export interface ArchivedFragment {
  readonly fragmentNumber: string;
  readonly serverTimestamp: string | null;
  readonly producerTimestamp: string | null;
  readonly durationMs: number | null;
  readonly sizeBytes: number | null;
}

/** The archived fragments of one server-time range, as far as they were loaded. */
export interface Archive {
  /** Start of the range (inclusive). */
  readonly from: Date;
  /** End of the range (the API treats it as exclusive). */
  readonly to: Date;
  /** The fragments loaded, by server timestamp then fragment number; those without a server timestamp last. */
  readonly fragments: readonly ArchivedFragment[];
  /** True when the range holds more than {@link ARCHIVE_CAP} fragments and the listing stopped there. */
  readonly capped: boolean;
}

interface ArchivePage {
  readonly stream: { readonly fragments: Connection<ArchivedFragment> } | null;
}

/**
 * Lists the archived fragments of `stream` whose server timestamp lies in `[from, to)`, page after page until the
 * listing ends or {@link ARCHIVE_CAP} fragments are in, calling `onProgress` with the count after each page.
 * @throws ApiError as {@link gql} does (a refused scope included); Error when the stream no longer exists; the
 *   signal's reason when `signal` aborted the listing.
 */
export async function loadArchive(stream: string, from: Date, to: Date, signal: AbortSignal, onProgress: (loaded: number) => void): Promise<Archive> {
  const fragments: ArchivedFragment[] = [];
  let after: string | null = null;
  let more = true;
  while (more && fragments.length < ARCHIVE_CAP) {
    const page: ArchivePage = await gql<ArchivePage>(
      ARCHIVE_QUERY,
      { stream, from: from.toISOString(), to: to.toISOString(), first: Math.min(PAGE_SIZE, ARCHIVE_CAP - fragments.length), after },
      { signal },
    );
    if (page.stream === null) throw new Error(`Stream ${stream} no longer exists.`);
    const { edges, pageInfo } = page.stream.fragments;
    fragments.push(...edges.map((edge) => edge.node));
    more = pageInfo.hasNextPage && pageInfo.endCursor !== null;
    after = pageInfo.endCursor;
    onProgress(fragments.length);
  }
  return { from, to, fragments: fragments.sort(byServerTime), capped: more };
}

function byServerTime(left: ArchivedFragment, right: ArchivedFragment): number {
  const a = left.serverTimestamp === null ? Infinity : Date.parse(left.serverTimestamp);
  const b = right.serverTimestamp === null ? Infinity : Date.parse(right.serverTimestamp);
  if (a !== b) return a < b ? -1 : 1;
  // Fragment numbers pass 2^53: compare them as big integers, never as floats.
  const x = BigInt(left.fragmentNumber);
  const y = BigInt(right.fragmentNumber);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The chart series of `archive`: each fragment with a server timestamp at that time (epoch s), valued by its duration. */
export function archiveSeriesOf(archive: Archive): ArchiveSeries {
  const placed = archive.fragments.filter((fragment) => fragment.serverTimestamp !== null);
  return {
    from: archive.from.getTime() / 1000,
    to: archive.to.getTime() / 1000,
    time: placed.map((fragment) => Date.parse(fragment.serverTimestamp ?? '') / 1000),
    duration: placed.map((fragment) => fragment.durationMs),
  };
}

/** Quick ranges: the last so many minutes up to the moment the button is pressed. */
const PRESETS: readonly { readonly label: string; readonly minutes: number }[] = [
  { label: 'Last 5 min', minutes: 5 },
  { label: 'Last 15 min', minutes: 15 },
  { label: 'Last hour', minutes: 60 },
];

type LoadState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading'; readonly from: Date; readonly to: Date; readonly loaded: number }
  | { readonly kind: 'done'; readonly archive: Archive }
  | { readonly kind: 'failed'; readonly message: string };

interface ArchiveControlsProps {
  readonly stream: string;
  /** The stream's retention; with 0 it keeps no fragments and the control says so instead. */
  readonly retentionHours: number | undefined;
  /** Called with each loaded archive, and with undefined when it is cleared or a new range starts loading. */
  readonly onArchive: (archive: Archive | undefined) => void;
}

/**
 * Picks a server-time range of `stream` (a quick range or from/to in the browser's time zone), loads its archived
 * fragments with {@link loadArchive} and shows their count, first and last; the chart draws them through `onArchive`.
 * A load in flight is aborted by the next one and when the control unmounts.
 */
export function ArchiveControls({ stream, retentionHours, onArchive }: ArchiveControlsProps): React.JSX.Element {
  const [fromText, setFromText] = useState('');
  const [toText, setToText] = useState('');
  const [state, setState] = useState<LoadState>({ kind: 'idle' });
  const running = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => running.current?.abort(), []);

  const load = useCallback(
    async (from: Date, to: Date) => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      onArchive(undefined);
      setState({ kind: 'loading', from, to, loaded: 0 });
      try {
        const archive = await loadArchive(stream, from, to, controller.signal, (loaded) => {
          if (!controller.signal.aborted) setState({ kind: 'loading', from, to, loaded });
        });
        if (controller.signal.aborted) return;
        setState({ kind: 'done', archive });
        onArchive(archive);
      } catch (caught) {
        // An aborted load was replaced or its panel closed: whoever aborted it owns the state now.
        if (controller.signal.aborted) return;
        setState({ kind: 'failed', message: problemOf(caught) });
      }
    },
    [stream, onArchive],
  );

  const loadPreset = (minutes: number): void => {
    const to = new Date();
    const from = new Date(to.getTime() - minutes * 60_000);
    setFromText(localInputOf(from));
    setToText(localInputOf(to));
    void load(from, to);
  };

  const loadTyped = (event: React.FormEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const from = dateOfLocalInput(fromText);
    const to = dateOfLocalInput(toText);
    if (from === undefined || to === undefined) {
      setState({ kind: 'failed', message: 'Enter both From and To.' });
      return;
    }
    if (from.getTime() >= to.getTime()) {
      setState({ kind: 'failed', message: 'From must be before To.' });
      return;
    }
    void load(from, to);
  };

  const clear = (): void => {
    running.current?.abort();
    setState({ kind: 'idle' });
    onArchive(undefined);
  };

  if (retentionHours === 0) {
    return (
      <section className="archive" aria-labelledby="archive-heading">
        <h4 id="archive-heading">Archived fragments</h4>
        <p>{stream} keeps no fragments (retention 0 h), so it has no archive to show.</p>
      </section>
    );
  }

  return (
    <section className="archive" aria-labelledby="archive-heading">
      <h4 id="archive-heading">Archived fragments</h4>
      <div className="toolbar" role="group" aria-label="Quick ranges of archived fragments">
        {PRESETS.map((preset) => (
          <button key={preset.minutes} type="button" onClick={() => loadPreset(preset.minutes)}>
            {preset.label}
          </button>
        ))}
      </div>
      <form className="toolbar" onSubmit={loadTyped} aria-label="Range of archived fragments by server time">
        <label>
          From
          <input type="datetime-local" step={1} value={fromText} onChange={(event) => setFromText(event.target.value)} required />
        </label>
        <label>
          To
          <input type="datetime-local" step={1} value={toText} onChange={(event) => setToText(event.target.value)} required />
        </label>
        <button type="submit">Load range</button>
        <button type="button" onClick={clear} disabled={state.kind === 'idle'}>
          Clear
        </button>
      </form>
      <p role="status" data-testid="archive-status" data-state={state.kind}>
        {statusText(state)}
      </p>
      <ErrorAlert error={state.kind === 'failed' ? state.message : undefined} />
      {state.kind === 'done' && <ArchiveSummary archive={state.archive} />}
    </section>
  );
}

function statusText(state: LoadState): string {
  switch (state.kind) {
    case 'idle':
      return 'Choose a range to draw its archived fragments (ListFragments, by server time) on the chart.';
    case 'loading':
      return `Loading archived fragments from ${formatDateTime(state.from.toISOString())} to ${formatDateTime(state.to.toISOString())}: ${String(state.loaded)} so far…`;
    case 'done':
      return `${state.archive.fragments.length.toLocaleString()} archived fragments loaded${state.archive.capped ? ' (stopped at the cap)' : ''}.`;
    case 'failed':
      return 'Loading archived fragments failed.';
  }
}

function ArchiveSummary({ archive }: { readonly archive: Archive }): React.JSX.Element {
  const { fragments } = archive;
  const first = fragments[0];
  const last = fragments.at(-1);
  const seconds = fragments.reduce((sum, fragment) => sum + (fragment.durationMs ?? 0), 0) / 1000;
  const bytes = fragments.reduce((sum, fragment) => sum + (fragment.sizeBytes ?? 0), 0);
  return (
    <>
      <dl className="archive-summary" data-testid="archive-summary">
        <dt>Range</dt>
        <dd>
          <time dateTime={archive.from.toISOString()} data-testid="archive-from">
            {formatDateTime(archive.from.toISOString())}
          </time>{' '}
          to{' '}
          <time dateTime={archive.to.toISOString()} data-testid="archive-to">
            {formatDateTime(archive.to.toISOString())}
          </time>
        </dd>
        <dt>Fragments</dt>
        <dd data-testid="archive-count">{fragments.length.toLocaleString()}</dd>
        <dt>First</dt>
        <dd>{first === undefined ? '—' : <FragmentLine fragment={first} />}</dd>
        <dt>Last</dt>
        <dd>{last === undefined ? '—' : <FragmentLine fragment={last} />}</dd>
        <dt>Media</dt>
        <dd>
          {seconds.toLocaleString(undefined, { maximumFractionDigits: 1 })} s, {(bytes / 1024 / 1024).toLocaleString(undefined, { maximumFractionDigits: 2 })} MiB
        </dd>
      </dl>
      {archive.capped && (
        <p className="warning" data-testid="archive-capped">
          Stopped at {ARCHIVE_CAP.toLocaleString()} fragments: the range holds more. Kinesis lists fragments in no set order, so these need not be
          the earliest or the latest; choose a shorter range to see all of them.
        </p>
      )}
    </>
  );
}

function FragmentLine({ fragment }: { readonly fragment: ArchivedFragment }): React.JSX.Element {
  return (
    <>
      <span className="mono">{fragment.fragmentNumber}</span> at{' '}
      {fragment.serverTimestamp === null ? 'an unknown server time' : <time dateTime={fragment.serverTimestamp}>{formatDateTime(fragment.serverTimestamp)}</time>}
      {fragment.durationMs === null ? '' : `, ${(fragment.durationMs / 1000).toLocaleString()} s`}
    </>
  );
}

/** `date` as a `datetime-local` value in the browser's time zone, to the second. */
function localInputOf(date: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${String(date.getFullYear())}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** A `datetime-local` value read in the browser's time zone (a date-time without an offset is local time), or undefined. */
function dateOfLocalInput(text: string): Date | undefined {
  if (text === '') return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

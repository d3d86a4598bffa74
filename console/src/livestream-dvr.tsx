import { useCallback, useState } from 'react';
import { formatDateTime, gql, pageOf, usePagedList, type Connection, type Page } from './api.js';
import { ConfirmDelete, RESOURCE_ID_PATTERN, useOperationStarter, type OperationListProps } from './livestream-operations.js';
import { ErrorAlert, PagedTable } from './ui.js';

const SESSIONS_QUERY = `query ConsoleDvrSessions($channel: String!, $after: String) {
  channel(name: $channel) {
    dvrSessions(first: 25, after: $after) {
      edges { node { name dvrSessionId state error { code message } dvrManifests { manifestKey } dvrWindows { startTime endTime } completeUntil dvrEndTime } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** A channel manifest; only one with a key can be recorded by a DVR session. */
interface Manifest {
  readonly key: string | null;
  readonly fileName: string;
  readonly type: string;
}

/** A Live Stream channel as the console lists it. */
export interface ChannelRow {
  readonly name: string;
  readonly channelId: string;
  readonly streamingState: string;
  /** Null when the channel has no retention config: then it cannot record DVR sessions. */
  readonly retentionWindowSeconds: number | null;
  readonly outputUri: string | null;
  readonly manifests: readonly Manifest[];
}

interface DvrWindow {
  readonly startTime: string;
  readonly endTime: string;
}

interface SessionRow {
  readonly name: string;
  readonly dvrSessionId: string;
  readonly state: string;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly dvrManifests: readonly { readonly manifestKey: string }[];
  readonly dvrWindows: readonly DvrWindow[];
  readonly completeUntil: string | null;
  readonly dvrEndTime: string | null;
}

/** A window being edited: the values of two `datetime-local` inputs (local time, to the second). */
interface WindowDraft {
  readonly start: string;
  readonly end: string;
}

interface DvrSessionsPanelProps extends OperationListProps {
  readonly channel: ChannelRow;
}

/** The DVR sessions of one channel: list, create from one of the channel's manifest keys, edit windows, delete. */
export function DvrSessionsPanel({ channel, ...operations }: DvrSessionsPanelProps): React.JSX.Element {
  const loadSessions = useCallback(
    async (after: string | null): Promise<Page<SessionRow>> => {
      const answer = await gql<{ channel: { dvrSessions: Connection<SessionRow> } | null }>(SESSIONS_QUERY, { channel: channel.name, after });
      if (answer.channel === null) throw new Error(`The channel ${channel.channelId} no longer exists.`);
      return pageOf(answer.channel.dvrSessions);
    },
    [channel.name, channel.channelId],
  );
  const sessions = usePagedList(loadSessions);
  const { error, start } = useOperationStarter(operations, sessions.reload);
  const [confirming, setConfirming] = useState<string | undefined>();
  const [editing, setEditing] = useState<SessionRow | undefined>();

  const keyed = channel.manifests.filter((manifest): manifest is Manifest & { readonly key: string } => manifest.key !== null);
  const cannotRecord = channel.retentionWindowSeconds === null ? 'This channel has no retention config, so it cannot record DVR sessions.' : keyed.length === 0 ? 'No manifest of this channel has a key, so none can be recorded.' : undefined;
  return (
    <section className="details" aria-labelledby="dvr-heading">
      <h3 id="dvr-heading">DVR sessions of {channel.channelId}</h3>
      <ErrorAlert error={sessions.error} explainRefusal />
      <ErrorAlert error={error} />
      <PagedTable
        list={sessions}
        labelledBy="dvr-heading"
        className="dvr-sessions"
        caption={`DVR sessions of ${channel.channelId}`}
        columns={['Session', 'State', 'Manifest key', 'Windows', 'Complete until', 'Playable until', 'Actions']}
        empty="This channel has no DVR sessions."
        moreLabel="More sessions"
      >
        {sessions.items.map((row) => (
          <tr key={row.name} data-session={row.dvrSessionId}>
            <td className="mono">{row.dvrSessionId}</td>
            <td className="wrap">
              {row.state}
              {row.error !== null && <span className="muted"> ({row.error.message})</span>}
            </td>
            <td className="mono">{row.dvrManifests.map((manifest) => manifest.manifestKey).join(', ')}</td>
            <td>
              <ul className="plain">
                {row.dvrWindows.map((interval) => (
                  <li key={`${interval.startTime}/${interval.endTime}`}>
                    <time dateTime={interval.startTime}>{formatDateTime(interval.startTime, 'short')}</time> – <time dateTime={interval.endTime}>{formatDateTime(interval.endTime, 'short')}</time>
                  </li>
                ))}
              </ul>
            </td>
            <td>{formatDateTime(row.completeUntil, 'short')}</td>
            <td>{formatDateTime(row.dvrEndTime, 'short')}</td>
            <td>
              <div className="actions">
                <button type="button" aria-label={`Edit windows of ${row.dvrSessionId}`} aria-pressed={editing?.name === row.name} onClick={() => setEditing(row)}>
                  Edit windows
                </button>
                <ConfirmDelete
                  what={`DVR session ${row.dvrSessionId}`}
                  confirming={confirming === row.name}
                  onAsk={() => setConfirming(row.name)}
                  onCancel={() => setConfirming(undefined)}
                  onConfirm={() =>
                    void start('deleteDvrSession', { name: row.name }).then((started) => {
                      if (!started) return;
                      setConfirming(undefined);
                      if (editing?.name === row.name) setEditing(undefined);
                    })
                  }
                />
              </div>
            </td>
          </tr>
        ))}
      </PagedTable>
      {editing !== undefined && (
        <WindowsForm
          key={editing.name}
          heading={`Windows of ${editing.dvrSessionId}`}
          initial={editing.dvrWindows.map((interval) => ({ start: toLocalInput(interval.startTime), end: toLocalInput(interval.endTime) }))}
          submitLabel="Save windows"
          onCancel={() => setEditing(undefined)}
          onSubmit={async (windows) => {
            if (await start('updateDvrSession', { name: editing.name, windows })) setEditing(undefined);
          }}
        />
      )}
      <CreateSessionForm channel={channel} keyed={keyed} cannotRecord={cannotRecord} onCreate={(input) => start('createDvrSession', input)} />
    </section>
  );
}

interface CreateSessionFormProps {
  readonly channel: ChannelRow;
  readonly keyed: readonly (Manifest & { readonly key: string })[];
  /** Why the channel cannot record, when it cannot: the form is then disabled. */
  readonly cannotRecord: string | undefined;
  /** Starts the create; resolves true when the operation started. */
  readonly onCreate: (input: Readonly<Record<string, unknown>>) => Promise<boolean>;
}

function CreateSessionForm({ channel, keyed, cannotRecord, onCreate }: CreateSessionFormProps): React.JSX.Element {
  const [sessionId, setSessionId] = useState('');
  const [manifestKey, setManifestKey] = useState(keyed[0]?.key ?? '');
  const [windows, setWindows] = useState<readonly WindowDraft[]>(() => [nextHour()]);
  const [problem, setProblem] = useState<string | undefined>();
  const headingId = 'new-dvr-heading';
  return (
    <form
      className="form"
      aria-labelledby={headingId}
      onSubmit={(event) => {
        event.preventDefault();
        const parsed = windowsOf(windows);
        if (typeof parsed === 'string') {
          setProblem(parsed);
          return;
        }
        setProblem(undefined);
        void onCreate({ channel: channel.name, dvrSessionId: sessionId, manifestKey, windows: parsed }).then((started) => {
          if (started) setSessionId('');
        });
      }}
    >
      <h4 id={headingId}>New DVR session on {channel.channelId}</h4>
      {cannotRecord !== undefined && <p className="muted">{cannotRecord}</p>}
      <ErrorAlert error={problem} />
      <fieldset disabled={cannotRecord !== undefined}>
        <legend className="sr-only">Session</legend>
        <label>
          Session id
          <input value={sessionId} onChange={(event) => setSessionId(event.target.value)} required pattern={RESOURCE_ID_PATTERN} title="1 to 63 lower-case letters, digits or dashes" />
        </label>
        <label>
          Manifest key
          <select value={manifestKey} onChange={(event) => setManifestKey(event.target.value)} required>
            {keyed.map((manifest) => (
              <option key={manifest.key} value={manifest.key}>
                {manifest.key} ({manifest.fileName}, {manifest.type})
              </option>
            ))}
          </select>
        </label>
        <WindowsEditor windows={windows} onChange={setWindows} />
        <button type="submit">Create DVR session</button>
      </fieldset>
    </form>
  );
}

interface WindowsFormProps {
  readonly heading: string;
  readonly initial: readonly WindowDraft[];
  readonly submitLabel: string;
  readonly onCancel: () => void;
  readonly onSubmit: (windows: readonly DvrWindow[]) => Promise<void>;
}

/** Edits the complete list of a session's windows (Live Stream replaces them all at once). */
function WindowsForm({ heading, initial, submitLabel, onCancel, onSubmit }: WindowsFormProps): React.JSX.Element {
  const [windows, setWindows] = useState<readonly WindowDraft[]>(initial.length === 0 ? [nextHour()] : initial);
  const [problem, setProblem] = useState<string | undefined>();
  return (
    <form
      className="form"
      aria-labelledby="edit-windows-heading"
      onSubmit={(event) => {
        event.preventDefault();
        const parsed = windowsOf(windows);
        if (typeof parsed === 'string') setProblem(parsed);
        else {
          setProblem(undefined);
          void onSubmit(parsed);
        }
      }}
    >
      <h4 id="edit-windows-heading">{heading}</h4>
      <ErrorAlert error={problem} />
      <WindowsEditor windows={windows} onChange={setWindows} />
      <div className="toolbar">
        <button type="submit">{submitLabel}</button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface WindowsEditorProps {
  readonly windows: readonly WindowDraft[];
  readonly onChange: (windows: readonly WindowDraft[]) => void;
}

/** One start and end input per window (this browser's time zone), with add and remove. */
function WindowsEditor({ windows, onChange }: WindowsEditorProps): React.JSX.Element {
  const change = (index: number, patch: Partial<WindowDraft>): void => onChange(windows.map((draft, at) => (at === index ? { ...draft, ...patch } : draft)));
  return (
    <fieldset className="windows boxed">
      <legend>Windows (your local time)</legend>
      <ol>
        {windows.map((draft, index) => (
          // Windows have no identity of their own: the position is what the user edits.
          <li key={index}>
            <label>
              Window {index + 1} start
              <input type="datetime-local" step={1} value={draft.start} onChange={(event) => change(index, { start: event.target.value })} required />
            </label>
            <label>
              Window {index + 1} end
              <input type="datetime-local" step={1} value={draft.end} onChange={(event) => change(index, { end: event.target.value })} required />
            </label>
            {windows.length > 1 && (
              <button type="button" onClick={() => onChange(windows.filter((_draft, at) => at !== index))}>
                Remove window {index + 1}
              </button>
            )}
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => onChange([...windows, nextHour(windows.at(-1))])}>
        Add a window
      </button>
    </fieldset>
  );
}

/** The drafts as API windows, or the problem to show when one is incomplete or ends before it starts. */
function windowsOf(drafts: readonly WindowDraft[]): readonly DvrWindow[] | string {
  const windows: DvrWindow[] = [];
  for (const [index, draft] of drafts.entries()) {
    const start = new Date(draft.start);
    const end = new Date(draft.end);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return `Window ${String(index + 1)} needs a start and an end.`;
    if (end <= start) return `Window ${String(index + 1)} must end after it starts.`;
    windows.push({ startTime: start.toISOString(), endTime: end.toISOString() });
  }
  return windows;
}

/** A one-hour window starting at the next full minute, or right after `after` ends. */
function nextHour(after?: WindowDraft): WindowDraft {
  const from = after === undefined ? new Date(Math.ceil(Date.now() / 60_000) * 60_000) : new Date(after.end);
  const start = Number.isNaN(from.getTime()) ? new Date(Math.ceil(Date.now() / 60_000) * 60_000) : from;
  return { start: toLocalInput(start.toISOString()), end: toLocalInput(new Date(start.getTime() + 3_600_000).toISOString()) };
}

/** `iso` as a `datetime-local` value in this browser's time zone, to the second (`2026-12-06T08:30:00`). */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${String(date.getFullYear())}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

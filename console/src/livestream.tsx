import { useCallback, useState } from 'react';
import { formatDateTime, gql, pageOf, refusalOf, usePagedList, type Connection, type Page } from './api.js';
import { DvrSessionsPanel, type ChannelRow } from './livestream-dvr.js';
import { ConfirmDelete, OperationsSection, RESOURCE_ID_PATTERN, useOperationStarter, type OperationListProps } from './livestream-operations.js';
import { ErrorAlert, PagedTable, ViewFrame } from './ui.js';

const CHANNELS_QUERY = `query ConsoleLiveStreamChannels($after: String) {
  channels(first: 25, after: $after) {
    edges { node { name channelId streamingState retentionWindowSeconds outputUri manifests { key fileName type } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const ASSETS_QUERY = `query ConsoleLiveStreamAssets($after: String) {
  assets(first: 25, after: $after) {
    edges { node { name assetId type uri state error { code message } createTime } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface AssetRow {
  readonly name: string;
  readonly assetId: string;
  readonly type: string | null;
  readonly uri: string | null;
  readonly state: string;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createTime: string | null;
}

/** Where the names of the operations started or followed in this tab are kept, so they outlive a switch of view. */
const OPERATIONS_KEY = 'media-graph.console.livestream.operations';
/** Operations kept in the list; older ones drop off. */
const KEPT_OPERATIONS = 20;

function loadTracked(): readonly string[] {
  const parsed: unknown = JSON.parse(sessionStorage.getItem(OPERATIONS_KEY) ?? '[]');
  return Array.isArray(parsed) ? parsed.filter((name): name is string => typeof name === 'string') : [];
}

/**
 * The Live Stream view: channels with their manifests, the DVR sessions of the selected channel (create from a
 * manifest key, edit windows, delete), assets (create, delete), and the long-running operations started here, each
 * read until done. A credential without `livestream:read` sees why instead of the lists.
 */
export function LiveStreamView(): React.JSX.Element {
  const [selected, setSelected] = useState<string | undefined>();
  const [tracked, setTracked] = useState<readonly string[]>(loadTracked);
  // Bumped when an operation finishes, so the lists it changed are read again.
  const [changes, setChanges] = useState(0);
  const loadChannels = useCallback(async (after: string | null): Promise<Page<ChannelRow>> => pageOf((await gql<{ channels: Connection<ChannelRow> }>(CHANNELS_QUERY, { after })).channels), []);
  const channels = usePagedList(loadChannels);

  const keep = useCallback((change: (names: readonly string[]) => readonly string[]) => {
    setTracked((previous) => {
      const next = change(previous).slice(0, KEPT_OPERATIONS);
      sessionStorage.setItem(OPERATIONS_KEY, JSON.stringify(next));
      return next;
    });
  }, []);
  const track = useCallback((name: string) => keep((names) => [name, ...names.filter((candidate) => candidate !== name)]), [keep]);
  const forget = useCallback((name: string) => keep((names) => names.filter((candidate) => candidate !== name)), [keep]);
  const onDone = useCallback(() => setChanges((previous) => previous + 1), []);

  const channel = channels.items.find((candidate) => candidate.name === selected);
  return (
    <ViewFrame headingId="livestream-heading" title="Live Stream" refusal={refusalOf(channels.error)}>
      <h3 id="channels-heading">Channels</h3>
      <ErrorAlert error={channels.error} />
      <PagedTable
        list={channels}
        labelledBy="channels-heading"
        className="channels"
        caption="Live Stream channels and the manifests they write"
        columns={['Channel', 'Streaming state', 'Retention', 'Manifests (key: file, format)']}
        empty="This location has no channels."
        moreLabel="More channels"
      >
        {channels.items.map((row) => (
          <tr key={row.name} aria-selected={row.name === selected}>
            <td>
              <button type="button" className="link" aria-pressed={row.name === selected} onClick={() => setSelected(row.name)}>
                {row.channelId}
              </button>
            </td>
            <td>{row.streamingState}</td>
            <td>{row.retentionWindowSeconds === null ? 'none' : durationOf(row.retentionWindowSeconds)}</td>
            <td>
              <ul className="plain">
                {row.manifests.map((manifest) => (
                  <li key={`${manifest.key ?? ''}:${manifest.fileName}`}>
                    <span className="mono">{manifest.key ?? '(no key)'}</span>: {manifest.fileName}, {manifest.type}
                  </li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </PagedTable>
      {channel === undefined ? (
        <p>Select a channel to see its DVR sessions.</p>
      ) : (
        <DvrSessionsPanel key={channel.name} channel={channel} changes={changes} onOperation={track} />
      )}
      <AssetsSection changes={changes} onOperation={track} />
      <OperationsSection names={tracked} onFollow={track} onDone={onDone} onForget={forget} />
    </ViewFrame>
  );
}

function AssetsSection(props: OperationListProps): React.JSX.Element {
  const loadAssets = useCallback(async (after: string | null): Promise<Page<AssetRow>> => pageOf((await gql<{ assets: Connection<AssetRow> }>(ASSETS_QUERY, { after })).assets), []);
  const assets = usePagedList(loadAssets);
  const { error, start } = useOperationStarter(props, assets.reload);
  const [confirming, setConfirming] = useState<string | undefined>();
  const [assetId, setAssetId] = useState('');
  const [uri, setUri] = useState('');
  const [type, setType] = useState<'VIDEO' | 'IMAGE'>('VIDEO');

  return (
    <section aria-labelledby="assets-heading">
      <h3 id="assets-heading">Assets</h3>
      <ErrorAlert error={assets.error} />
      <ErrorAlert error={error} />
      <PagedTable
        list={assets}
        labelledBy="assets-heading"
        className="assets"
        caption="Live Stream assets"
        columns={['Asset', 'Type', 'State', 'Source', 'Created', 'Actions']}
        empty="This location has no assets."
        moreLabel="More assets"
      >
        {assets.items.map((row) => (
          <tr key={row.name} data-asset={row.assetId}>
            <td className="mono">{row.assetId}</td>
            <td>{row.type ?? '—'}</td>
            <td className="wrap">
              {row.state}
              {row.error !== null && <span className="muted"> ({row.error.message})</span>}
            </td>
            <td className="mono">{row.uri ?? '—'}</td>
            <td>{formatDateTime(row.createTime)}</td>
            <td>
              <ConfirmDelete
                what={`asset ${row.assetId}`}
                confirming={confirming === row.name}
                onAsk={() => setConfirming(row.name)}
                onCancel={() => setConfirming(undefined)}
                onConfirm={() =>
                  void start('deleteAsset', { name: row.name }).then((started) => {
                    if (started) setConfirming(undefined);
                  })
                }
              />
            </td>
          </tr>
        ))}
      </PagedTable>
      <form
        className="form"
        aria-labelledby="new-asset-heading"
        onSubmit={(event) => {
          event.preventDefault();
          void start('createAsset', { assetId, uri, type }).then((started) => {
            if (started) setAssetId('');
          });
        }}
      >
        <h4 id="new-asset-heading">New asset</h4>
        <label>
          Asset id
          <input value={assetId} onChange={(event) => setAssetId(event.target.value)} required pattern={RESOURCE_ID_PATTERN} title="1 to 63 lower-case letters, digits or dashes" />
        </label>
        <label>
          Source file
          <input className="wide" value={uri} onChange={(event) => setUri(event.target.value)} required pattern="gs://[^\/]+\/.+" placeholder="gs://bucket/video.mp4" title="A Cloud Storage URI: gs://bucket/object" />
        </label>
        <label>
          Type
          <select value={type} onChange={(event) => setType(event.target.value === 'IMAGE' ? 'IMAGE' : 'VIDEO')}>
            <option value="VIDEO">Video</option>
            <option value="IMAGE">Image</option>
          </select>
        </label>
        <button type="submit">Create asset</button>
      </form>
    </section>
  );
}

/** A duration in seconds in the largest unit it is a whole number of, e.g. `1 d` for 86,400. */
function durationOf(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return `${String(seconds / 86_400)} d`;
  if (seconds > 0 && seconds % 3_600 === 0) return `${String(seconds / 3_600)} h`;
  if (seconds > 0 && seconds % 60 === 0) return `${String(seconds / 60)} min`;
  return `${String(seconds)} s`;
}

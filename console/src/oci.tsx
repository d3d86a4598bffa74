import { useCallback, useEffect, useState } from 'react';
import { formatDateTime, gql, messageOf, pageOf, refusalOf, usePagedList, type Connection, type Page } from './api.js';
import { AssetPicker, ConfigPicker, PlaylistSection, type ConfigChoice, type MediaAssetRow, type PackagingConfigRow, type PickerProps, type SessionToken } from './oci-playlist.js';

const ASSETS_QUERY = `query ConsoleMediaAssets($after: String) {
  mediaAssets(first: 25, after: $after) {
    edges { node { id ocid displayName type lifecycleState timeCreated } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const CHANNELS_QUERY = `query ConsoleDistributionChannels($after: String) {
  streamDistributionChannels(first: 10, after: $after) {
    edges { node { id ocid displayName domainName lifecycleState
      packagingConfigs(first: 20) {
        edges { node { id ocid displayName format segmentTimeInSeconds encryption lifecycleState } }
        pageInfo { hasNextPage endCursor }
      }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const SESSION_TOKEN = `mutation ConsoleOciSessionToken($input: GenerateSessionTokenInput!) {
  generateSessionToken(input: $input) { token expiresAt }
}`;

interface ChannelRow {
  readonly id: string;
  readonly ocid: string;
  readonly displayName: string;
  readonly domainName: string | null;
  readonly lifecycleState: string | null;
  readonly packagingConfigs: Connection<PackagingConfigRow>;
}

/**
 * The OCI view: media assets, distribution channels with their packaging configurations, a playlist generated for an
 * asset and a configuration with its parsed variants, and a session token with its expiry. A credential without
 * `oci:issue` sees why instead of the lists.
 */
export function OciView(): React.JSX.Element {
  const loadAssets = useCallback(async (after: string | null): Promise<Page<MediaAssetRow>> => pageOf((await gql<{ mediaAssets: Connection<MediaAssetRow> }>(ASSETS_QUERY, { after })).mediaAssets), []);
  const loadChannels = useCallback(
    async (after: string | null): Promise<Page<ChannelRow>> => pageOf((await gql<{ streamDistributionChannels: Connection<ChannelRow> }>(CHANNELS_QUERY, { after })).streamDistributionChannels),
    [],
  );
  const assets = usePagedList(loadAssets);
  const channels = usePagedList(loadChannels);
  const [token, setToken] = useState<SessionToken | undefined>();

  const refused = refusalOf(assets.error) ?? refusalOf(channels.error);
  const configs: readonly ConfigChoice[] = channels.items.flatMap((channel) => channel.packagingConfigs.edges.map((edge) => ({ config: edge.node, channel: channel.displayName })));
  return (
    <section aria-labelledby="oci-heading">
      <h2 id="oci-heading">OCI Media</h2>
      {refused !== undefined ? (
        <p role="alert" className="refused">
          {refused}
        </p>
      ) : (
        <>
          <h3 id="media-assets-heading">Media assets</h3>
          {assets.error !== undefined && <p role="alert" className="error">{messageOf(assets.error)}</p>}
          <div className="table-wrap" role="region" aria-labelledby="media-assets-heading" tabIndex={0}>
            <table className="media-assets">
              <caption className="sr-only">OCI media assets, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">OCID</th>
                </tr>
              </thead>
              <tbody>
                {assets.items.map((row) => (
                  <tr key={row.id}>
                    <td>{row.displayName ?? '(unnamed)'}</td>
                    <td>{row.type}</td>
                    <td>{row.lifecycleState}</td>
                    <td>{formatDateTime(row.timeCreated)}</td>
                    <td className="mono">{row.ocid}</td>
                  </tr>
                ))}
                {assets.loaded && assets.items.length === 0 && assets.error === undefined && (
                  <tr>
                    <td colSpan={5}>This compartment has no media assets.</td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          {assets.hasMore && (
            <button type="button" onClick={assets.more}>
              More media assets
            </button>
          )}
          <h3>Distribution channels and packaging configurations</h3>
          {channels.error !== undefined && <p role="alert" className="error">{messageOf(channels.error)}</p>}
          {channels.loaded && channels.items.length === 0 && channels.error === undefined && <p>This compartment has no distribution channels.</p>}
          {channels.items.map((channel) => (
            <ChannelConfigs key={channel.id} channel={channel} />
          ))}
          {channels.hasMore && (
            <button type="button" onClick={channels.more}>
              More channels
            </button>
          )}
          <PlaylistSection assets={assets.items} configs={configs} token={token} />
          <SessionTokenSection assets={assets.items} configs={configs} token={token} onToken={setToken} />
        </>
      )}
    </section>
  );
}

function ChannelConfigs({ channel }: { readonly channel: ChannelRow }): React.JSX.Element {
  const headingId = `channel-${channel.ocid.replace(/[^\w-]/g, '-')}`;
  const configs = channel.packagingConfigs.edges.map((edge) => edge.node);
  return (
    <section aria-labelledby={headingId}>
      <h4 id={headingId}>{channel.displayName}</h4>
      <p className="muted">
        <span className="mono">{channel.domainName ?? 'no domain yet'}</span>, {channel.lifecycleState ?? 'state unknown'}
      </p>
      <div className="table-wrap" role="region" aria-labelledby={headingId} tabIndex={0}>
        <table className="packaging-configs">
          <caption className="sr-only">Packaging configurations of {channel.displayName}</caption>
          <thead>
            <tr>
              <th scope="col">Configuration</th>
              <th scope="col">Format</th>
              <th scope="col">Segment length</th>
              <th scope="col">Encryption</th>
              <th scope="col">State</th>
              <th scope="col">OCID</th>
            </tr>
          </thead>
          <tbody>
            {configs.map((config) => (
              <tr key={config.id}>
                <td>{config.displayName}</td>
                <td>{config.format ?? '—'}</td>
                <td>{config.segmentTimeInSeconds === null ? '—' : `${String(config.segmentTimeInSeconds)} s`}</td>
                <td>{config.encryption ?? '—'}</td>
                <td>{config.lifecycleState ?? '—'}</td>
                <td className="mono">{config.ocid}</td>
              </tr>
            ))}
            {configs.length === 0 && (
              <tr>
                <td colSpan={6}>This channel has no packaging configurations.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {channel.packagingConfigs.pageInfo.hasNextPage && <p className="muted">Only the first {configs.length} configurations are shown.</p>}
    </section>
  );
}

interface SessionTokenSectionProps extends PickerProps {
  readonly onToken: (token: SessionToken) => void;
}

/** Issues a session token; it is a credential, so it stays in memory and is shown only on request. */
function SessionTokenSection({ assets, configs, token, onToken }: SessionTokenSectionProps): React.JSX.Element {
  const [configId, setConfigId] = useState('');
  const [assetId, setAssetId] = useState('');
  const [scopes, setScopes] = useState<ReadonlySet<'PLAYLIST' | 'EDGE'>>(new Set(['PLAYLIST', 'EDGE']));
  const [minutes, setMinutes] = useState(60);
  const [shown, setShown] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (configId === '') setConfigId(configs[0]?.config.id ?? '');
  }, [configs, configId]);

  const issue = async (): Promise<void> => {
    try {
      const input = {
        packagingConfigId: configId,
        scopes: [...scopes],
        ...(assetId === '' ? {} : { assetIds: [assetId] }),
        expiresAt: new Date(Date.now() + minutes * 60_000).toISOString(),
      };
      const answer = await gql<{ generateSessionToken: SessionToken }>(SESSION_TOKEN, { input });
      onToken(answer.generateSessionToken);
      setShown(false);
      setError(undefined);
    } catch (caught) {
      setError(refusalOf(caught) ?? messageOf(caught));
    }
  };

  const toggle = (scope: 'PLAYLIST' | 'EDGE', on: boolean): void =>
    setScopes((previous) => {
      const next = new Set(previous);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });

  return (
    <section aria-labelledby="token-heading">
      <h3 id="token-heading">Session token</h3>
      <form
        className="form"
        aria-label="Issue a session token"
        onSubmit={(event) => {
          event.preventDefault();
          void issue();
        }}
      >
        <ConfigPicker configs={configs} value={configId} onChange={setConfigId} />
        <AssetPicker label="Limit to media asset" assets={assets} value={assetId} onChange={setAssetId} anyLabel="Every asset of the configuration" />
        <fieldset className="boxed">
          <legend>Scopes</legend>
          <label className="check">
            <input type="checkbox" checked={scopes.has('PLAYLIST')} onChange={(event) => toggle('PLAYLIST', event.target.checked)} />
            Playlists
          </label>
          <label className="check">
            <input type="checkbox" checked={scopes.has('EDGE')} onChange={(event) => toggle('EDGE', event.target.checked)} />
            Media segments (edge)
          </label>
        </fieldset>
        <label>
          Lifetime (minutes)
          <input type="number" min={1} max={1440} value={minutes} onChange={(event) => setMinutes(Number(event.target.value))} required />
        </label>
        <button type="submit" disabled={configId === '' || scopes.size === 0}>
          Issue token
        </button>
      </form>
      {error !== undefined && <p role="alert" className="error">{error}</p>}
      {token !== undefined && (
        <div className="details" data-testid="session-token">
          <dl>
            <dt>Expires</dt>
            <dd>
              <time dateTime={token.expiresAt}>{formatDateTime(token.expiresAt)}</time> (in {Math.max(0, Math.round((Date.parse(token.expiresAt) - Date.now()) / 60_000))} min)
            </dd>
            <dt>Token</dt>
            <dd>
              {shown ? <code className="token">{token.token}</code> : <span>hidden ({token.token.length} characters)</span>}{' '}
              <button type="button" aria-pressed={shown} onClick={() => setShown((previous) => !previous)}>
                {shown ? 'Hide token' : 'Show token'}
              </button>
            </dd>
          </dl>
        </div>
      )}
    </section>
  );
}

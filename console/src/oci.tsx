import { useCallback, useEffect, useState } from 'react';
import { formatDateTime, gql, pageOf, problemOf, refusalOf, usePagedList, type Connection, type Page } from './api.js';
import { AssetPicker, ConfigPicker, PlaylistSection, type ConfigChoice, type MediaAssetRow, type PackagingConfigRow, type PickerProps, type SessionToken } from './oci-playlist.js';
import { ErrorAlert, MoreButton, PagedTable, Table, ViewFrame } from './ui.js';

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

  const configs: readonly ConfigChoice[] = channels.items.flatMap((channel) => channel.packagingConfigs.edges.map((edge) => ({ config: edge.node, channel: channel.displayName })));
  return (
    <ViewFrame headingId="oci-heading" title="OCI Media" refusal={refusalOf(assets.error) ?? refusalOf(channels.error)}>
      <h3 id="media-assets-heading">Media assets</h3>
      <ErrorAlert error={assets.error} />
      <PagedTable
        list={assets}
        labelledBy="media-assets-heading"
        className="media-assets"
        caption="OCI media assets, newest first"
        columns={['Name', 'Type', 'State', 'Created', 'OCID']}
        empty="This compartment has no media assets."
        moreLabel="More media assets"
      >
        {assets.items.map((row) => (
          <tr key={row.id}>
            <td>{row.displayName ?? '(unnamed)'}</td>
            <td>{row.type}</td>
            <td>{row.lifecycleState}</td>
            <td>{formatDateTime(row.timeCreated)}</td>
            <td className="mono">{row.ocid}</td>
          </tr>
        ))}
      </PagedTable>
      <h3>Distribution channels and packaging configurations</h3>
      <ErrorAlert error={channels.error} />
      {channels.empty && <p>This compartment has no distribution channels.</p>}
      {channels.items.map((channel) => (
        <ChannelConfigs key={channel.id} channel={channel} />
      ))}
      <MoreButton list={channels} label="More channels" />
      <PlaylistSection assets={assets.items} configs={configs} token={token} />
      <SessionTokenSection assets={assets.items} configs={configs} token={token} onToken={setToken} />
    </ViewFrame>
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
      <Table
        labelledBy={headingId}
        className="packaging-configs"
        caption={`Packaging configurations of ${channel.displayName}`}
        columns={['Configuration', 'Format', 'Segment length', 'Encryption', 'State', 'OCID']}
        empty={configs.length === 0 ? 'This channel has no packaging configurations.' : undefined}
      >
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
      </Table>
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
      setError(problemOf(caught));
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
      <ErrorAlert error={error} />
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

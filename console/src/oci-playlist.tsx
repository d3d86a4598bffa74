import { useEffect, useState } from 'react';
import { gql, problemOf } from './api.js';
import { ErrorAlert, Table } from './ui.js';

const PLAYLIST_QUERY = `query ConsoleOciPlaylist($mediaAssetId: String!, $streamPackagingConfigId: String!, $sessionToken: String) {
  playlist(mediaAssetId: $mediaAssetId, streamPackagingConfigId: $streamPackagingConfigId, sessionToken: $sessionToken) {
    format contentType content
    hls {
      version independentSegments
      variants { uri bandwidth averageBandwidth resolution { width height } codecs frameRate audioGroup subtitlesGroup }
      renditions { type groupId name language isDefault }
    }
    dash {
      durationSeconds live
      representations { representationId contentType bandwidth codecs resolution { width height } frameRate language segmentCount }
    }
  }
}`;

/** An OCI media asset as the console lists it. */
export interface MediaAssetRow {
  readonly id: string;
  readonly ocid: string;
  readonly displayName: string | null;
  readonly type: string;
  readonly lifecycleState: string;
  readonly timeCreated: string | null;
}

/** A stream packaging configuration as the console lists it. */
export interface PackagingConfigRow {
  readonly id: string;
  readonly ocid: string;
  readonly displayName: string;
  readonly format: string | null;
  readonly segmentTimeInSeconds: number | null;
  readonly encryption: string | null;
  readonly lifecycleState: string | null;
}

interface Resolution {
  readonly width: number;
  readonly height: number;
}

interface Playlist {
  readonly format: 'HLS' | 'DASH';
  readonly contentType: string | null;
  readonly content: string;
  readonly hls: {
    readonly version: number | null;
    readonly independentSegments: boolean;
    readonly variants: readonly {
      readonly uri: string;
      readonly bandwidth: number;
      readonly averageBandwidth: number | null;
      readonly resolution: Resolution | null;
      readonly codecs: string | null;
      readonly frameRate: number | null;
      readonly audioGroup: string | null;
      readonly subtitlesGroup: string | null;
    }[];
    readonly renditions: readonly { readonly type: string; readonly groupId: string; readonly name: string; readonly language: string | null; readonly isDefault: boolean }[];
  } | null;
  readonly dash: {
    readonly durationSeconds: number | null;
    readonly live: boolean;
    readonly representations: readonly {
      readonly representationId: string;
      readonly contentType: string;
      readonly bandwidth: number | null;
      readonly codecs: string | null;
      readonly resolution: Resolution | null;
      readonly frameRate: number | null;
      readonly language: string | null;
      readonly segmentCount: number;
    }[];
  } | null;
}

/** A streaming session token; a credential, kept in memory only. */
export interface SessionToken {
  readonly token: string;
  readonly expiresAt: string;
}

/** A packaging configuration with the channel it belongs to, for the pickers. */
export interface ConfigChoice {
  readonly config: PackagingConfigRow;
  readonly channel: string;
}

/** What the playlist and token forms choose from, and the token issued last (if any). */
export interface PickerProps {
  readonly assets: readonly MediaAssetRow[];
  readonly configs: readonly ConfigChoice[];
  readonly token: SessionToken | undefined;
}

/** Generates the playlist of an asset under a packaging configuration, signed with the session token when asked. */
export function PlaylistSection({ assets, configs, token }: PickerProps): React.JSX.Element {
  const [assetId, setAssetId] = useState('');
  const [configId, setConfigId] = useState('');
  const [useToken, setUseToken] = useState(false);
  const [playlist, setPlaylist] = useState<{ readonly of: string; readonly playlist: Playlist } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  // Until the user picks, the first playable asset and the first configuration are chosen.
  useEffect(() => {
    if (assetId === '') setAssetId(assets.find((asset) => asset.lifecycleState === 'ACTIVE')?.id ?? assets[0]?.id ?? '');
  }, [assets, assetId]);
  useEffect(() => {
    if (configId === '') setConfigId(configs[0]?.config.id ?? '');
  }, [configs, configId]);

  const generate = async (): Promise<void> => {
    setBusy(true);
    try {
      const answer = await gql<{ playlist: Playlist }>(PLAYLIST_QUERY, { mediaAssetId: assetId, streamPackagingConfigId: configId, sessionToken: useToken && token !== undefined ? token.token : null });
      const asset = assets.find((candidate) => candidate.id === assetId);
      const config = configs.find((candidate) => candidate.config.id === configId);
      setPlaylist({ of: `${asset?.displayName ?? 'the asset'} with ${config?.config.displayName ?? 'the configuration'}`, playlist: answer.playlist });
      setError(undefined);
    } catch (caught) {
      setPlaylist(undefined);
      setError(problemOf(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="playlist-heading">
      <h3 id="playlist-heading">Playlist</h3>
      <form
        className="form"
        aria-label="Generate a playlist"
        onSubmit={(event) => {
          event.preventDefault();
          void generate();
        }}
      >
        <AssetPicker label="Media asset" assets={assets} value={assetId} onChange={setAssetId} required />
        <ConfigPicker configs={configs} value={configId} onChange={setConfigId} />
        <label className="check">
          <input type="checkbox" checked={useToken && token !== undefined} disabled={token === undefined} onChange={(event) => setUseToken(event.target.checked)} />
          Sign media URIs with the session token below
        </label>
        <button type="submit" disabled={busy || assetId === '' || configId === ''}>
          Generate playlist
        </button>
      </form>
      <ErrorAlert error={error} />
      {playlist !== undefined && <PlaylistDetails of={playlist.of} playlist={playlist.playlist} />}
    </section>
  );
}

function PlaylistDetails({ of, playlist }: { readonly of: string; readonly playlist: Playlist }): React.JSX.Element {
  const { hls, dash } = playlist;
  return (
    <section className="details" aria-labelledby="playlist-result-heading" data-testid="playlist">
      <h4 id="playlist-result-heading">
        {playlist.format} playlist of {of}
      </h4>
      {hls !== null && (
        <>
          <p>
            HLS version {hls.version ?? '—'}, {hls.variants.length} variants{hls.independentSegments ? ', independent segments' : ''}.
          </p>
          <Table
            label="Variants"
            className="variants"
            caption="Variants of the HLS playlist"
            columns={['Bandwidth (kbit/s)', 'Average (kbit/s)', 'Resolution', 'Codecs', 'Frame rate', 'Audio', 'Subtitles', 'URI']}
          >
            {hls.variants.map((variant) => (
              <tr key={variant.uri}>
                <td>{kbits(variant.bandwidth)}</td>
                <td>{kbits(variant.averageBandwidth)}</td>
                <td>{resolutionOf(variant.resolution)}</td>
                <td className="mono">{variant.codecs ?? '—'}</td>
                <td>{variant.frameRate ?? '—'}</td>
                <td>{variant.audioGroup ?? '—'}</td>
                <td>{variant.subtitlesGroup ?? '—'}</td>
                <td className="mono">{variant.uri}</td>
              </tr>
            ))}
          </Table>
          {hls.renditions.length > 0 && (
            <Table label="Renditions" className="renditions" caption="Alternative renditions" captionShown columns={['Type', 'Group', 'Name', 'Language', 'Default']}>
              {hls.renditions.map((rendition) => (
                <tr key={`${rendition.type}/${rendition.groupId}/${rendition.name}`}>
                  <td>{rendition.type}</td>
                  <td className="mono">{rendition.groupId}</td>
                  <td>{rendition.name}</td>
                  <td>{rendition.language ?? '—'}</td>
                  <td>{rendition.isDefault ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
      {dash !== null && (
        <>
          <p>
            DASH, {dash.live ? 'live' : 'on demand'}
            {dash.durationSeconds === null ? '' : `, ${dash.durationSeconds.toFixed(0)} s`}, {dash.representations.length} representations.
          </p>
          <Table
            label="Representations"
            className="variants"
            caption="Representations of the DASH manifest"
            columns={['Representation', 'Content', 'Bandwidth (kbit/s)', 'Resolution', 'Codecs', 'Frame rate', 'Language', 'Segments']}
          >
            {dash.representations.map((representation) => (
              <tr key={representation.representationId}>
                <td className="mono">{representation.representationId}</td>
                <td>{representation.contentType}</td>
                <td>{kbits(representation.bandwidth)}</td>
                <td>{resolutionOf(representation.resolution)}</td>
                <td className="mono">{representation.codecs ?? '—'}</td>
                <td>{representation.frameRate === null ? '—' : representation.frameRate.toFixed(2)}</td>
                <td>{representation.language ?? '—'}</td>
                <td>{representation.segmentCount}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
      <details>
        <summary>Playlist text ({playlist.contentType ?? 'unknown type'})</summary>
        <pre className="playlist-text" role="region" aria-label="Playlist text" tabIndex={0}>
          {playlist.content}
        </pre>
      </details>
    </section>
  );
}

/** Properties of {@link AssetPicker}. */
export interface AssetPickerProps {
  readonly label: string;
  readonly assets: readonly MediaAssetRow[];
  readonly value: string;
  readonly onChange: (id: string) => void;
  readonly required?: boolean;
  /** The label of an empty choice meaning "no asset in particular"; without it there is none. */
  readonly anyLabel?: string;
}

/** A labelled select of media assets (value: `MediaAsset.id`), each shown with its lifecycle state. */
export function AssetPicker({ label, assets, value, onChange, required = false, anyLabel }: AssetPickerProps): React.JSX.Element {
  return (
    <label>
      {label}
      <select value={value} onChange={(event) => onChange(event.target.value)} required={required}>
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {assets.map((asset) => (
          <option key={asset.id} value={asset.id}>
            {asset.displayName ?? asset.ocid} ({asset.lifecycleState})
          </option>
        ))}
      </select>
    </label>
  );
}

/** Properties of {@link ConfigPicker}. */
export interface ConfigPickerProps {
  readonly configs: readonly ConfigChoice[];
  readonly value: string;
  readonly onChange: (id: string) => void;
}

/** A select labelled `Packaging configuration` (value: `StreamPackagingConfig.id`), each with its format and channel. */
export function ConfigPicker({ configs, value, onChange }: ConfigPickerProps): React.JSX.Element {
  return (
    <label>
      Packaging configuration
      <select value={value} onChange={(event) => onChange(event.target.value)} required>
        {configs.map(({ config, channel }) => (
          <option key={config.id} value={config.id}>
            {config.displayName} ({config.format ?? 'unknown format'}, {channel})
          </option>
        ))}
      </select>
    </label>
  );
}

function kbits(bandwidth: number | null): string {
  return bandwidth === null ? '—' : (bandwidth / 1000).toLocaleString(undefined, { maximumFractionDigits: 1 });
}

function resolutionOf(resolution: Resolution | null): string {
  return resolution === null ? '—' : `${String(resolution.width)}×${String(resolution.height)}`;
}

import type { LiveStreamEmulator } from './livestream.emulator.js';

/**
 * Demo content for `npm start`: one project/location with two channels (one with a retention config, so DVR
 * sessions can be created on it), a few assets and DVR sessions in the past, present and future. Times are
 * relative to the emulator clock at seeding so the DVR states read as FINISHED, LIVE and SCHEDULED.
 */

/** The demo project. */
export const DEMO_PROJECT = 'media-graph-demo';
/** The demo location. */
export const DEMO_LOCATION = 'us-central1';
/** `projects/{project}/locations/{location}` of the demo content. */
export const DEMO_PARENT = `projects/${DEMO_PROJECT}/locations/${DEMO_LOCATION}`;
/** The demo channel with a one-day retention config and an HLS manifest keyed `manifest_hls`. */
export const DEMO_DVR_CHANNEL = `${DEMO_PARENT}/channels/news-live`;
/** The demo channel without retention config. */
export const DEMO_PLAIN_CHANNEL = `${DEMO_PARENT}/channels/sports-live`;

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;

/**
 * Stores the demo channels, assets and DVR sessions in `emulator` (without requests; nothing is logged).
 * Resources of the same names are replaced; others are left alone.
 *
 * Names created under {@link DEMO_PARENT}: channels `news-live` (retention 86 400 s, STREAMING) and `sports-live`
 * (no retention, STOPPED); assets `station-slate` (image), `intro-bumper` (video), `ad-break-slate` (image,
 * label `purpose=ad`), `broken-upload` (ERROR); DVR sessions on `news-live`: `morning-show` (FINISHED),
 * `midday-update` (LIVE), `evening-news` (SCHEDULED).
 */
export function seedLiveStreamDemo(emulator: LiveStreamEmulator): void {
  const now = emulator.now();
  emulator.putChannelDirect({
    name: DEMO_DVR_CHANNEL,
    outputUri: 'gs://media-graph-demo/outputs/news-live/',
    manifests: [
      { key: 'manifest_hls', fileName: 'main.m3u8', type: 'HLS' },
      { key: 'manifest_dash', fileName: 'main.mpd', type: 'DASH' },
    ],
    retentionWindowSeconds: 24 * 60 * 60,
    streamingState: 'STREAMING',
    labels: { team: 'news' },
    createTime: now - 30 * 24 * HOUR,
  });
  emulator.putChannelDirect({
    name: DEMO_PLAIN_CHANNEL,
    outputUri: 'gs://media-graph-demo/outputs/sports-live/',
    manifests: [{ key: 'manifest_hls', fileName: 'main.m3u8', type: 'HLS' }],
    streamingState: 'STOPPED',
    labels: { team: 'sports' },
    createTime: now - 20 * 24 * HOUR,
  });
  const assets = [
    { id: 'station-slate', kind: 'image', uri: 'gs://media-graph-demo/assets/station-slate.png', labels: { purpose: 'slate' } },
    { id: 'intro-bumper', kind: 'video', uri: 'gs://media-graph-demo/assets/intro-bumper.mp4', labels: { purpose: 'bumper' } },
    { id: 'ad-break-slate', kind: 'image', uri: 'gs://media-graph-demo/assets/ad-break.png', labels: { purpose: 'ad' } },
  ] as const;
  for (const [index, asset] of assets.entries()) {
    emulator.putAssetDirect({
      name: `${DEMO_PARENT}/assets/${asset.id}`,
      resource: { kind: asset.kind, uri: asset.uri },
      labels: asset.labels,
      createTime: now - (10 - index) * 24 * HOUR,
    });
  }
  emulator.putAssetDirect({
    name: `${DEMO_PARENT}/assets/broken-upload`,
    resource: { kind: 'video', uri: 'gs://media-graph-demo/assets/broken-upload.mp4' },
    state: 'ERROR',
    error: { status: 'INVALID_ARGUMENT', message: 'The video codec is not supported.' },
    createTime: now - 2 * 24 * HOUR,
  });
  const sessions = [
    { id: 'morning-show', start: now - 6 * HOUR, end: now - 4 * HOUR },
    { id: 'midday-update', start: now - 30 * MINUTE, end: now + 30 * MINUTE },
    { id: 'evening-news', start: now + 5 * HOUR, end: now + 6 * HOUR },
  ];
  for (const session of sessions) {
    emulator.putDvrSessionDirect({
      name: `${DEMO_DVR_CHANNEL}/dvrSessions/${session.id}`,
      manifestKey: 'manifest_hls',
      windows: [{ startTime: session.start, endTime: session.end }],
      labels: { show: session.id },
      createTime: session.start - HOUR,
    });
  }
}

import { DEMO_LIVE_STREAM } from '../emulators/kinesis/kinesis.seed.js';
import type { IdeTab } from './ide.js';

/**
 * The tabs the IDE opens with: one example per provider and one subscription, each of which runs as is against
 * the demo data `media-graph serve` seeds into its embedded emulators (test/e2e/ide-gateway.e2e.test.ts runs every
 * tab in a browser). Against cloud services the list queries still work; the subscription names the demo stream.
 * Each tab's title is its operation name, so names say what the tab shows.
 */
export const IDE_TABS: readonly IdeTab[] = [
  {
    query: `# media-graph: one tab per provider, and a live subscription in the last one.
# Run a tab with the play button (or Ctrl-Enter); the Docs panel on the left describes every field.
#
# Objects: one folder level of the object store (the embedded MediaStore emulator here).
query Objects {
  objects(path: "/", first: 10) {
    edges {
      node {
        __typename
        name
        path
        type
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`,
  },
  {
    query: `# Kinesis Video Streams: the account's streams, and the stored fragments of the live demo stream.
query KinesisStreams {
  streams(first: 10) {
    edges {
      node {
        name
        status
        mediaType
        retentionHours
      }
    }
  }
  stream(name: "${DEMO_LIVE_STREAM}") {
    name
    fragments(first: 5) {
      edges {
        node {
          fragmentNumber
          serverTimestamp
          durationMs
        }
      }
    }
  }
}
`,
  },
  {
    query: `# Google Cloud Live Stream: channels with their DVR sessions, and assets, at the configured location.
query LiveStreamChannels {
  channels(first: 10, orderBy: "name") {
    edges {
      node {
        name
        streamingState
        retentionWindowSeconds
        dvrSessions(first: 5) {
          edges {
            node {
              dvrSessionId
              state
              startTime
              endTime
            }
          }
        }
      }
    }
  }
  assets(first: 10) {
    edges {
      node {
        name
        type
        state
      }
    }
  }
}
`,
  },
  {
    query: `# OCI Media Services: media assets (newest first) and the distribution channels with their packaging
# configurations. A playlist needs one of each: playlist(mediaAssetId: ..., streamPackagingConfigId: ...).
query OciMedia {
  mediaAssets(first: 10) {
    edges {
      node {
        id
        displayName
        type
        lifecycleState
      }
    }
  }
  streamDistributionChannels(first: 5) {
    edges {
      node {
        id
        displayName
        packagingConfigs(first: 5) {
          edges {
            node {
              id
              displayName
              format
              segmentTimeInSeconds
            }
          }
        }
      }
    }
  }
}
`,
  },
  {
    query: `# Live fragments of the demo stream over WebSocket: one event per fragment (every 2 s in the demo), gaps and
# status changes. It runs until stopped with the stop button.
subscription DemoStreamFragments {
  streamFragments(stream: "${DEMO_LIVE_STREAM}") {
    __typename
    ... on FragmentEvent {
      fragment {
        fragmentNumber
        serverTimestamp
        millisBehindNow
        frameCount
        keyframeCount
      }
    }
    ... on GapEvent {
      reason
      missedFragments
    }
    ... on StatusEvent {
      status
      detail
    }
  }
}
`,
  },
];

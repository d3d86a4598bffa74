import { describe, expect, it } from 'vitest';
import {
  UNRESTRICTED_POLICY,
  compileTenantPolicy,
  sharedLiteralPrefix,
  streamNameFromArn,
  type TenantAccessRules,
} from '../../../src/auth/tenant-policy.js';

const rules: TenantAccessRules = {
  objects: { prefixes: ['/tenant-a/', '/shared/public/'] },
  streams: { names: ['tenant-a-*', 'exact-stream'] },
  livestream: { projects: ['proj-a'], locations: ['*'], channels: ['a-*'], assets: ['asset-?'] },
  oci: {
    compartments: ['ocid1.compartment.oc1..aaaa'],
    mediaAssets: ['ocid1.mediaasset.oc1.iad.a*'],
    distributionChannels: ['ocid1.streamdistributionchannel.oc1.iad.achannel'],
    packagingConfigs: ['ocid1.streampackagingconfig.oc1.iad.a*'],
  },
};

const policy = compileTenantPolicy('tenant-a', rules);
const nothing = compileTenantPolicy('tenant-empty', {});

describe('compileTenantPolicy', () => {
  it('carries the tenant id and is not unrestricted when compiled from rules', () => {
    expect(policy.tenantId).toBe('tenant-a');
    expect(policy.unrestricted).toBe(false);
    expect(policy.objectPrefixes).toEqual(['/tenant-a/', '/shared/public/']);
  });

  it('works with detached methods when passed as callbacks', () => {
    const { canAccessStream } = policy;
    expect(['tenant-a-1', 'other'].filter(canAccessStream)).toEqual(['tenant-a-1']);
  });

  it('denies everything when every section is missing', () => {
    expect(nothing.canAccessObjectPath('/tenant-a/x.mp4')).toBe(false);
    expect(nothing.canListObjectFolder('/')).toBe(false);
    expect(nothing.canAccessStream('anything')).toBe(false);
    expect(nothing.canAccessLiveStreamResource('projects/p/locations/l/channels/c')).toBe(false);
    expect(nothing.canAccessLiveStreamResource('projects/p/locations/l/operations/o')).toBe(false);
    expect(nothing.canListLiveStreamParent('projects/p/locations/l')).toBe(false);
    expect(nothing.canAccessOciCompartment('ocid1.compartment.oc1..aaaa')).toBe(false);
    expect(nothing.canAccessOciMediaAsset('ocid1.mediaasset.oc1.iad.aaaa')).toBe(false);
    expect(nothing.objectPrefixes).toEqual([]);
  });

  it('denies everything of a provider when its lists are empty', () => {
    const empty = compileTenantPolicy('t', { objects: { prefixes: [] }, streams: { names: [] }, oci: {} });
    expect(empty.canAccessObjectPath('/x')).toBe(false);
    expect(empty.canAccessStream('x')).toBe(false);
    expect(empty.canAccessOciCompartment('ocid1.compartment.oc1..aaaa')).toBe(false);
  });
});

describe('TenantPolicy.canAccessObjectPath', () => {
  it('allows an object when it is inside a prefix', () => {
    expect(policy.canAccessObjectPath('/tenant-a/video.mp4')).toBe(true);
    expect(policy.canAccessObjectPath('/tenant-a/deep/er/video.mp4')).toBe(true);
    expect(policy.canAccessObjectPath('/shared/public/logo.png')).toBe(true);
  });

  it('allows the prefix folder itself when written with or without the trailing slash', () => {
    expect(policy.canAccessObjectPath('/tenant-a/')).toBe(true);
    expect(policy.canAccessObjectPath('/tenant-a')).toBe(true);
  });

  it('refuses a sibling when it only shares the prefix letters', () => {
    expect(policy.canAccessObjectPath('/tenant-ab/x.mp4')).toBe(false);
    expect(policy.canAccessObjectPath('/tenant-ab')).toBe(false);
    expect(policy.canAccessObjectPath('/tenant-a.mp4')).toBe(false);
  });

  it('refuses a parent folder when only a deeper prefix is granted', () => {
    expect(policy.canAccessObjectPath('/shared/private.mp4')).toBe(false);
    expect(policy.canAccessObjectPath('/shared')).toBe(false);
    expect(policy.canAccessObjectPath('/')).toBe(false);
  });

  it('accepts container-relative paths when the leading slash is missing', () => {
    expect(policy.canAccessObjectPath('tenant-a/video.mp4')).toBe(true);
    expect(policy.canAccessObjectPath('tenant-ab/video.mp4')).toBe(false);
  });

  it('refuses dot, dot-dot and empty segments when a path is not normalised', () => {
    expect(policy.canAccessObjectPath('/tenant-a/../tenant-b/x.mp4')).toBe(false);
    expect(policy.canAccessObjectPath('/tenant-a/..')).toBe(false);
    expect(policy.canAccessObjectPath('/tenant-a/./x.mp4')).toBe(false);
    expect(policy.canAccessObjectPath('/tenant-a//x.mp4')).toBe(false);
    expect(policy.canAccessObjectPath('/tenant-a/x\n.mp4')).toBe(false);
  });

  it('allows names that merely contain dots when they are not dot segments', () => {
    expect(policy.canAccessObjectPath('/tenant-a/..hidden')).toBe(true);
    expect(policy.canAccessObjectPath('/tenant-a/.profile')).toBe(true);
  });

  it('allows every normalised path when the prefix is the root', () => {
    const all = compileTenantPolicy('root', { objects: { prefixes: ['/'] } });
    expect(all.canAccessObjectPath('/anything/at/all.mp4')).toBe(true);
    expect(all.canAccessObjectPath('/')).toBe(true);
    expect(all.canAccessObjectPath('/a/../b')).toBe(false);
  });
});

describe('TenantPolicy.canListObjectFolder', () => {
  it('allows a folder when it is the prefix or inside it', () => {
    expect(policy.canListObjectFolder('/tenant-a/')).toBe(true);
    expect(policy.canListObjectFolder('/tenant-a')).toBe(true);
    expect(policy.canListObjectFolder('/tenant-a/videos')).toBe(true);
    expect(policy.canListObjectFolder('/tenant-a/videos/')).toBe(true);
  });

  it('refuses the root and sibling folders when they are outside every prefix', () => {
    expect(policy.canListObjectFolder('/')).toBe(false);
    expect(policy.canListObjectFolder('')).toBe(false);
    expect(policy.canListObjectFolder('/tenant-ab')).toBe(false);
    expect(policy.canListObjectFolder('/tenant-ab/')).toBe(false);
  });

  it('allows the root when the prefix is the root', () => {
    const all = compileTenantPolicy('root', { objects: { prefixes: ['/'] } });
    expect(all.canListObjectFolder('')).toBe(true);
    expect(all.canListObjectFolder('/')).toBe(true);
  });
});

describe('TenantPolicy.canAccessStream', () => {
  it('allows a stream when its name matches a glob or an exact name', () => {
    expect(policy.canAccessStream('tenant-a-cam1')).toBe(true);
    expect(policy.canAccessStream('tenant-a-')).toBe(true);
    expect(policy.canAccessStream('exact-stream')).toBe(true);
  });

  it('refuses a stream when no pattern matches', () => {
    expect(policy.canAccessStream('tenant-b-cam1')).toBe(false);
    expect(policy.canAccessStream('exact-stream-2')).toBe(false);
    expect(policy.canAccessStream('')).toBe(false);
  });

  it('does not let * cross a slash when the name contains one', () => {
    expect(policy.canAccessStream('tenant-a-x/y')).toBe(false);
    const star = compileTenantPolicy('t', { streams: { names: ['*'] } });
    expect(star.canAccessStream('a/b')).toBe(false);
    expect(star.canAccessStream('ab')).toBe(true);
  });

  it('matches dot-names when the pattern is a bare star', () => {
    const star = compileTenantPolicy('t', { streams: { names: ['*'] } });
    expect(star.canAccessStream('.hidden')).toBe(true);
  });

  it('treats a leading ! literally when a pattern has one', () => {
    const negated = compileTenantPolicy('t', { streams: { names: ['!secret'] } });
    expect(negated.canAccessStream('public')).toBe(false);
    expect(negated.canAccessStream('!secret')).toBe(true);
  });

  it('supports brace alternatives when a pattern uses them', () => {
    const braces = compileTenantPolicy('t', { streams: { names: ['{cam,mic}-*'] } });
    expect(braces.canAccessStream('cam-1')).toBe(true);
    expect(braces.canAccessStream('mic-1')).toBe(true);
    expect(braces.canAccessStream('vid-1')).toBe(false);
  });
});

describe('streamNameFromArn', () => {
  it('returns the stream name when given a Kinesis Video stream ARN', () => {
    expect(streamNameFromArn('arn:aws:kinesisvideo:us-east-1:123456789012:stream/tenant-a-cam1/1700000000000')).toBe(
      'tenant-a-cam1',
    );
    expect(streamNameFromArn('arn:aws-cn:kinesisvideo:cn-north-1:123456789012:stream/cam/1')).toBe('cam');
  });

  it('returns undefined when the ARN has another shape', () => {
    expect(streamNameFromArn('tenant-a-cam1')).toBeUndefined();
    expect(streamNameFromArn('arn:aws:kinesis:us-east-1:123456789012:stream/cam/1')).toBeUndefined();
    expect(streamNameFromArn('arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam')).toBeUndefined();
    expect(streamNameFromArn('arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1/extra')).toBeUndefined();
    expect(streamNameFromArn('arn:aws:kinesisvideo:us-east-1:123456789012:channel/cam/1')).toBeUndefined();
    expect(streamNameFromArn('')).toBeUndefined();
  });
});

describe('TenantPolicy.canAccessLiveStreamResource', () => {
  it('allows a channel, its DVR sessions, an asset and an operation when project and location match', () => {
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/us-central1/channels/a-main')).toBe(true);
    expect(
      policy.canAccessLiveStreamResource('projects/proj-a/locations/us-central1/channels/a-main/dvrSessions/d1'),
    ).toBe(true);
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/europe-west1/assets/asset-1')).toBe(true);
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/us-central1/operations/op-123')).toBe(true);
  });

  it('refuses a resource when the project does not match', () => {
    expect(policy.canAccessLiveStreamResource('projects/proj-b/locations/us-central1/channels/a-main')).toBe(false);
    expect(policy.canAccessLiveStreamResource('projects/proj-b/locations/us-central1/operations/op')).toBe(false);
  });

  it('refuses a resource when the location does not match', () => {
    const pinned = compileTenantPolicy('t', {
      livestream: { projects: ['p'], locations: ['us-*'], channels: ['*'], assets: ['*'] },
    });
    expect(pinned.canAccessLiveStreamResource('projects/p/locations/us-east1/channels/c')).toBe(true);
    expect(pinned.canAccessLiveStreamResource('projects/p/locations/europe-west1/channels/c')).toBe(false);
  });

  it('refuses channels and their DVR sessions when the channel id does not match', () => {
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/l/channels/b-main')).toBe(false);
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/l/channels/b-main/dvrSessions/d')).toBe(
      false,
    );
  });

  it('refuses assets when the asset id does not match', () => {
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/l/assets/asset-12')).toBe(false);
    expect(policy.canAccessLiveStreamResource('projects/proj-a/locations/l/assets/other')).toBe(false);
  });

  it('refuses a resource name when it cannot be parsed', () => {
    const open = compileTenantPolicy('t', {
      livestream: { projects: ['*'], locations: ['*'], channels: ['*'], assets: ['*'] },
    });
    const refused = [
      '',
      'projects/p',
      'projects/p/locations/l',
      'projects/p/locations/l/channels',
      'projects/p/locations/l/channels/',
      'projects/p/locations/l/channels/c/',
      'projects/p/locations/l/inputs/i',
      'projects/p/locations/l/channels/c/events/e',
      'projects/p/locations/l/channels/c/dvrSessions/',
      'projects/p/locations/l/assets/a/extra/x',
      'projects/p/locations/l/operations/o/x/y',
      'project/p/locations/l/channels/c',
      'projects/p/location/l/channels/c',
      '/projects/p/locations/l/channels/c',
      'projects//locations/l/channels/c',
    ];
    for (const name of refused) expect(open.canAccessLiveStreamResource(name), name).toBe(false);
    expect(open.canAccessLiveStreamResource('projects/p/locations/l/channels/c')).toBe(true);
  });

  it('refuses wildcard and dot segments when a star pattern would match them', () => {
    const open = compileTenantPolicy('t', {
      livestream: { projects: ['*'], locations: ['*'], channels: ['*'], assets: ['*'] },
    });
    expect(open.canAccessLiveStreamResource('projects/-/locations/l/channels/c')).toBe(false);
    expect(open.canAccessLiveStreamResource('projects/p/locations/-/channels/c')).toBe(false);
    expect(open.canAccessLiveStreamResource('projects/p/locations/l/channels/..')).toBe(false);
    expect(open.canAccessLiveStreamResource('projects/p/locations/l/channels/c/dvrSessions/..')).toBe(false);
  });

  it('denies channels but allows assets when only the channel list is missing', () => {
    const assetsOnly = compileTenantPolicy('t', { livestream: { projects: ['p'], locations: ['l'], assets: ['*'] } });
    expect(assetsOnly.canAccessLiveStreamResource('projects/p/locations/l/assets/a')).toBe(true);
    expect(assetsOnly.canAccessLiveStreamResource('projects/p/locations/l/channels/c')).toBe(false);
  });

  it('denies everything when projects or locations are missing', () => {
    const noLocations = compileTenantPolicy('t', { livestream: { projects: ['p'], channels: ['*'] } });
    expect(noLocations.canAccessLiveStreamResource('projects/p/locations/l/channels/c')).toBe(false);
    expect(noLocations.canListLiveStreamParent('projects/p/locations/l')).toBe(false);
  });
});

describe('TenantPolicy.canListLiveStreamParent', () => {
  it('allows a location parent when project and location match', () => {
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/us-central1')).toBe(true);
    expect(policy.canListLiveStreamParent('projects/proj-b/locations/us-central1')).toBe(false);
  });

  it('allows a channel parent for DVR sessions when the channel matches', () => {
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/l/channels/a-main')).toBe(true);
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/l/channels/b-main')).toBe(false);
  });

  it('refuses other parents when they are not a location or a channel', () => {
    expect(policy.canListLiveStreamParent('projects/proj-a')).toBe(false);
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/l/assets/asset-1')).toBe(false);
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/l/channels/a-main/dvrSessions/d')).toBe(false);
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/-')).toBe(false);
    expect(policy.canListLiveStreamParent('projects/proj-a/locations/l/')).toBe(false);
  });
});

describe('TenantPolicy OCI checks', () => {
  it('allows a compartment when its OCID matches exactly', () => {
    expect(policy.canAccessOciCompartment('ocid1.compartment.oc1..aaaa')).toBe(true);
    expect(policy.canAccessOciCompartment('ocid1.compartment.oc1..aaab')).toBe(false);
  });

  it('allows a media asset when its OCID matches a glob', () => {
    expect(policy.canAccessOciMediaAsset('ocid1.mediaasset.oc1.iad.amaaaaaa')).toBe(true);
    expect(policy.canAccessOciMediaAsset('ocid1.mediaasset.oc1.phx.amaaaaaa')).toBe(false);
    expect(policy.canAccessOciMediaAsset('')).toBe(false);
  });

  it('keeps compartments and media assets apart when only one list grants', () => {
    expect(policy.canAccessOciMediaAsset('ocid1.compartment.oc1..aaaa')).toBe(false);
  });

  it('allows distribution channels and packaging configurations only when their own lists match', () => {
    expect(policy.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1.iad.achannel')).toBe(true);
    expect(policy.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1.iad.bchannel')).toBe(false);
    expect(policy.canAccessOciPackagingConfig('ocid1.streampackagingconfig.oc1.iad.ahls')).toBe(true);
    expect(policy.canAccessOciPackagingConfig('ocid1.streampackagingconfig.oc1.iad.bhls')).toBe(false);
    // A media-asset pattern wide enough to match another type's OCID grants nothing for that type.
    expect(policy.canAccessOciPackagingConfig('ocid1.mediaasset.oc1.iad.a1')).toBe(false);
    expect(policy.canAccessOciDistributionChannel('')).toBe(false);
  });

  it('denies distribution channels and packaging configurations when their lists are missing', () => {
    const assetsOnly = compileTenantPolicy('t', { oci: { compartments: ['*'], mediaAssets: ['*'] } });
    expect(assetsOnly.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1.iad.x')).toBe(false);
    expect(assetsOnly.canAccessOciPackagingConfig('ocid1.streampackagingconfig.oc1.iad.x')).toBe(false);
    expect(nothing.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1.iad.x')).toBe(false);
  });
});

describe('UNRESTRICTED_POLICY', () => {
  it('allows everything when used for development or admins', () => {
    expect(UNRESTRICTED_POLICY.unrestricted).toBe(true);
    expect(UNRESTRICTED_POLICY.tenantId).toBeUndefined();
    expect(UNRESTRICTED_POLICY.canAccessObjectPath('/any/thing')).toBe(true);
    expect(UNRESTRICTED_POLICY.canListObjectFolder('/')).toBe(true);
    expect(UNRESTRICTED_POLICY.canAccessStream('any')).toBe(true);
    expect(UNRESTRICTED_POLICY.canAccessLiveStreamResource('projects/p/locations/l/channels/c')).toBe(true);
    expect(UNRESTRICTED_POLICY.canListLiveStreamParent('projects/p/locations/l')).toBe(true);
    expect(UNRESTRICTED_POLICY.canAccessOciCompartment('ocid1.compartment.oc1..x')).toBe(true);
    expect(UNRESTRICTED_POLICY.canAccessOciMediaAsset('ocid1.mediaasset.oc1..x')).toBe(true);
    expect(UNRESTRICTED_POLICY.canAccessOciDistributionChannel('ocid1.streamdistributionchannel.oc1..x')).toBe(true);
    expect(UNRESTRICTED_POLICY.canAccessOciPackagingConfig('ocid1.streampackagingconfig.oc1..x')).toBe(true);
  });

  it('cannot be modified when a caller tries to', () => {
    expect(Object.isFrozen(UNRESTRICTED_POLICY)).toBe(true);
    expect(Object.isFrozen(policy)).toBe(true);
  });
});

describe('sharedLiteralPrefix', () => {
  it('returns the literal start of one pattern when it ends in a glob', () => {
    expect(sharedLiteralPrefix(['tenant-a-*'])).toBe('tenant-a-');
  });

  it('returns the whole pattern when it has no glob syntax', () => {
    expect(sharedLiteralPrefix(['exact-stream'])).toBe('exact-stream');
  });

  it('returns the common start of several patterns when they share one', () => {
    expect(sharedLiteralPrefix(['cam-north-*', 'cam-south-?', 'cam-east'])).toBe('cam-');
  });

  it('returns an empty prefix when a pattern starts with glob syntax or negation', () => {
    for (const pattern of ['*-cam', '?cam', '[ab]-cam', '{a,b}-cam', '!b-*', '@(a|b)-cam', '+(a)-cam']) {
      expect({ pattern, prefix: sharedLiteralPrefix(['a-cam', pattern]) }).toEqual({ pattern, prefix: '' });
    }
  });

  it('stops before an escaped character, so the prefix is never longer than a match', () => {
    expect(sharedLiteralPrefix(['a\\*b'])).toBe('a');
  });

  it('returns an empty prefix when there are no patterns', () => {
    expect(sharedLiteralPrefix([])).toBe('');
  });

  it('returns an empty prefix when a pattern holds a slash, since picomatch drops ./ and lets x/** match x', () => {
    expect(sharedLiteralPrefix(['./cam-*'])).toBe('');
    expect(sharedLiteralPrefix(['cam-a/**'])).toBe('');
  });

  it('stops at the first character a stream name cannot hold, so the prefix is a valid ComparisonValue', () => {
    expect(sharedLiteralPrefix(['acme:cam-*'])).toBe('acme');
    expect(sharedLiteralPrefix(['a.b_c-d*'])).toBe('a.b_c-d');
    expect(sharedLiteralPrefix([`${'x'.repeat(300)}*`])).toHaveLength(256);
  });
});

describe('TenantPolicy.streamNamePrefix', () => {
  it('is the prefix every reachable stream name starts with when compiled from stream patterns', () => {
    expect(compileTenantPolicy('t', { streams: { names: ['tenant-a-*', 'tenant-a'] } }).streamNamePrefix).toBe('tenant-a');
    expect(policy.streamNamePrefix).toBe('');
    expect(UNRESTRICTED_POLICY.streamNamePrefix).toBe('');
  });

  it('says whether any stream pattern exists when compiled', () => {
    expect(policy.hasStreamPatterns).toBe(true);
    expect(nothing.hasStreamPatterns).toBe(false);
    expect(UNRESTRICTED_POLICY.hasStreamPatterns).toBe(true);
  });
});

import { ociUnavailable } from '../../datasources/oci/oci.loaders.js';
import { badInput } from '../../core/domain-error.js';
import type { Services } from '../../auth/services.js';
import { decodeGlobalId, encodeGlobalId } from '../node/global-id.js';

/** Node types of the OCI API whose global id wraps an OCID. */
export type OciNodeTypeName = 'MediaAsset' | 'StreamPackagingConfig' | 'StreamDistributionChannel';

/**
 * Shape of an OCID (`ocid1.<resource type>.<realm>.[region][.future use].<unique id>`). Only the shape is
 * checked, so that obviously wrong values fail before any upstream call; the service decides the rest.
 */
const OCID_PATTERN = /^ocid1\.[a-z0-9_-]+\.[a-z0-9_-]+\.[a-z0-9._-]*$/i;
const OCID_MAX_LENGTH = 255;

/** Whether `value` looks like an OCID. */
export function isOcid(value: string): boolean {
  return value.length <= OCID_MAX_LENGTH && OCID_PATTERN.test(value) && !value.endsWith('.');
}

/**
 * The OCID an id argument names: the OCID itself, or the global id of a `type` node.
 *
 * @param argument argument name, for the error message.
 * @throws DomainError `BAD_USER_INPUT` for anything else (before any upstream call).
 */
export function toOcid(value: string, type: OciNodeTypeName, argument: string): string {
  if (isOcid(value)) return value;
  const decoded = decodeGlobalId(value);
  if (decoded?.type === type && isOcid(decoded.key)) return decoded.key;
  throw badInput(`\`${argument}\` must be an OCID or the id of a ${type}.`, { argument });
}

/** What a playlist's global id identifies: a packaging configuration applied to an asset (never a token). */
export interface PlaylistKey {
  readonly packagingConfigId: string;
  readonly mediaAssetId: string;
}

/** The global id of the playlist of `key`. OCIDs never contain `/`, so it separates the two. */
export function encodePlaylistId(key: PlaylistKey): string {
  return encodeGlobalId('Playlist', `${key.packagingConfigId}/${key.mediaAssetId}`);
}

/** Parses the key part of a playlist global id; `undefined` when malformed. */
export function parsePlaylistKey(key: string): PlaylistKey | undefined {
  const parts = key.split('/');
  if (parts.length !== 2) return undefined;
  const [packagingConfigId, mediaAssetId] = parts as [string, string];
  return isOcid(packagingConfigId) && isOcid(mediaAssetId) ? { packagingConfigId, mediaAssetId } : undefined;
}

/**
 * The OCI datasources of the gateway.
 *
 * @throws DomainError `UPSTREAM_UNAVAILABLE` when OCI is neither configured nor emulated.
 */
export function requireOci(services: Services): NonNullable<Services['oci']> {
  if (services.oci === undefined) throw ociUnavailable();
  return services.oci;
}

/**
 * The compartment a list query names, else the configured default.
 *
 * @throws DomainError `BAD_USER_INPUT` when there is neither or the value is not an OCID;
 *   `UPSTREAM_UNAVAILABLE` when OCI is not available.
 */
export function compartmentOf(services: Services, compartmentId: string | null | undefined): string {
  const oci = requireOci(services);
  const compartment = compartmentId ?? oci.defaultCompartmentId;
  if (compartment === undefined) {
    throw badInput('Give `compartmentId`: this gateway has no default compartment (OCI_COMPARTMENT_ID).', { argument: 'compartmentId' });
  }
  if (!isOcid(compartment)) throw badInput('`compartmentId` must be an OCID.', { argument: 'compartmentId' });
  return compartment;
}

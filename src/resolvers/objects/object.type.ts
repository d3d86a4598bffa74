import { SafeIntResolver } from 'graphql-scalars';
import type { ObjectEntry, ObjectMetadata } from '../../datasources/object-store/object-store.js';
import { Directive, Field, GraphQLISODateTime, ID, InterfaceType, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';

/** What a listing entry is. */
export enum ObjectEntryKind {
  OBJECT = 'OBJECT',
  FOLDER = 'FOLDER',
}

registerEnumType(ObjectEntryKind, {
  name: 'ObjectEntryKind',
  description: 'Whether a listing entry is an object or a folder.',
  valuesConfig: {
    OBJECT: { description: 'A stored object (a file).' },
    FOLDER: { description: 'A folder; folders exist while they contain at least one object.' },
  },
});

/** When an uploaded object becomes readable (mirrors the domain `UploadAvailability`). */
export enum UploadAvailabilityEnum {
  STANDARD = 'STANDARD',
  STREAMING = 'STREAMING',
}

registerEnumType(UploadAvailabilityEnum, {
  name: 'UploadAvailability',
  description: 'When an object being uploaded becomes readable. Limits differ: see each value.',
  valuesConfig: {
    STANDARD: { description: 'Readable once the whole upload has completed; the upload declares its length. Objects up to 25 MiB on MediaStore.' },
    STREAMING: {
      description:
        'The upload may use chunked transfer (no length). On MediaStore the object is readable after initial buffering while the upload continues, up to 10 MiB; S3 has no such mode, so the object is readable once complete.',
    },
  },
});

/**
 * What object resolvers receive as their root: describe results (no `kind`) or object listing entries
 * (`kind: 'object'`, no cache-control known).
 */
export type MediaObjectSource = ObjectMetadata | Extract<ObjectEntry, { kind: 'object' }>;

/** What folder resolvers receive as their root. */
export type ObjectFolderSource = Extract<ObjectEntry, { kind: 'folder' }>;

/**
 * Common shape of everything a folder listing returns. Values in its place must be instances of `MediaObjectType` or
 * `ObjectFolderType` ({@link asEntryNode}): type-graphql then resolves the type synchronously by `instanceof`, where a
 * `resolveType` option would run inside an async wrapper and cost a chain of promises per listed entry.
 */
@InterfaceType('ObjectEntry', {
  description: 'An entry of a folder listing: an object or a folder.',
})
export abstract class ObjectEntryType {
  @Field(() => String, { description: 'Last path segment (file or folder name).' })
  name!: string;

  @Field(() => String, { description: 'Full path inside the store, without a leading slash (e.g. `vod/show/master.m3u8`).' })
  path!: string;

  @Field(() => ObjectEntryKind, { description: 'Whether this entry is an object or a folder.' })
  type!: ObjectEntryKind;
}

/** `MediaObject.url`'s description, shared by the field and its resolver. */
export const MEDIA_OBJECT_URL_DESCRIPTION =
  'Short-lived URL that downloads this object with GET (supports `Range`, `If-None-Match`, `If-Modified-Since`): the gateway byte endpoint signed for it (HEAD works too), or, when the deployment sets `OBJECT_URLS=direct`, a presigned S3 URL so the bytes do not pass through the gateway. Treat it as a secret until it expires.';

/** `MediaObject.eTag`'s description, shared by the field and its resolver. */
export const MEDIA_OBJECT_ETAG_DESCRIPTION =
  'Entity tag of the stored bytes, quoted as HTTP sends it (`"…"`); changes whenever the content changes. The byte endpoint sends the same value as `ETag`, so it can be used in `If-None-Match` as is.';

/** A stored object's metadata. */
@Directive('@key(fields: "id")')
@ObjectType('MediaObject', {
  // Plain fields read the source's property with graphql-js's default resolver instead of a type-graphql wrapper each.
  simpleResolvers: true,
  implements: [NodeType, ObjectEntryType],
  description:
    'A stored media object (manifest, segment, image...). Metadata comes from the object store; `url` downloads the bytes.',
})
export class MediaObjectType extends ObjectEntryType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { nullable: true, description: MEDIA_OBJECT_ETAG_DESCRIPTION })
  eTag?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'MIME type recorded at upload, e.g. `application/vnd.apple.mpegurl`. Null for objects listed from S3, whose listings do not carry it: `object(path:)` describes it.',
  })
  contentType?: string;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Size in bytes.' })
  contentLength?: number;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the object was last written (UTC).' })
  lastModified?: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The `Cache-Control` value stored with the object, returned on downloads. Costs one describe call when the object came from a listing.',
  })
  cacheControl?: string;

  @Field(() => String, { description: MEDIA_OBJECT_URL_DESCRIPTION })
  url!: string;
}

/** A folder in a listing. */
@ObjectType('ObjectFolder', {
  simpleResolvers: true,
  implements: [ObjectEntryType],
  description: 'A folder. Folders are implicit: they appear when an object is stored below them and vanish when empty.',
})
export class ObjectFolderType extends ObjectEntryType {}

/** A listed object in the `ObjectEntry` interface's place: the entry's fields on a `MediaObjectType` instance. */
class ListedObject extends MediaObjectType {
  readonly kind = 'object';
  declare eTag: string | undefined;
  declare contentType: string | undefined;
  declare contentLength: number | undefined;
  declare lastModified: Date | undefined;
  /** Listings do not carry it; the `cacheControl` field describes the object (it tells listed ones by `kind`). */
  declare cacheControl: undefined;

  // Field by field: an order of magnitude cheaper than Object.assign onto a class instance, and one shape for all.
  constructor(entry: Extract<ObjectEntry, { kind: 'object' }>) {
    super();
    this.name = entry.name;
    this.path = entry.path;
    this.eTag = entry.eTag;
    this.contentType = entry.contentType;
    this.contentLength = entry.contentLength;
    this.lastModified = entry.lastModified;
  }
}

/** A listed folder in the `ObjectEntry` interface's place. */
class ListedFolder extends ObjectFolderType {
  readonly kind = 'folder';

  constructor(entry: Extract<ObjectEntry, { kind: 'folder' }>) {
    super();
    this.name = entry.name;
    this.path = entry.path;
  }
}

/**
 * `entry` as the `ObjectEntry` interface needs it: a new `MediaObjectType` or `ObjectFolderType` instance with the
 * entry's fields (the field resolvers read them as they read the entry). Pure.
 */
export function asEntryNode(entry: ObjectEntry): ObjectEntry {
  return entry.kind === 'folder' ? new ListedFolder(entry) : new ListedObject(entry);
}

import { baseName } from '../../datasources/object-store/object-path.js';
import { Ctx, FieldResolver, ID, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { quoteETag } from '../../core/http-conditions.js';
import {
  MEDIA_OBJECT_ETAG_DESCRIPTION,
  MEDIA_OBJECT_URL_DESCRIPTION,
  MediaObjectType,
  ObjectEntryKind,
  ObjectFolderType,
  type MediaObjectSource,
  type ObjectFolderSource,
} from './object.type.js';

/** Derived fields of `MediaObject`. */
@Resolver(() => MediaObjectType)
export class MediaObjectFieldsResolver {
  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() object: MediaObjectSource): string {
    return encodeGlobalId('MediaObject', object.path);
  }

  @FieldResolver(() => String, { description: 'Last path segment (the file name).' })
  name(@Root() object: MediaObjectSource): string {
    return baseName(object.path);
  }

  @FieldResolver(() => ObjectEntryKind, { description: 'Always `OBJECT`.' })
  type(): ObjectEntryKind {
    return ObjectEntryKind.OBJECT;
  }

  @FieldResolver(() => String, { description: MEDIA_OBJECT_URL_DESCRIPTION })
  async url(@Root() object: MediaObjectSource, @Ctx() { services }: RequestContext): Promise<string> {
    const direct = services.config.objects.urls === 'direct' ? services.objectStore.direct : undefined;
    if (direct !== undefined) return (await direct.download(object.path, services.config.signedUrlTtlSeconds)).url;
    return services.urls.download(object.path, services.config.signedUrlTtlSeconds).url;
  }

  @FieldResolver(() => String, { nullable: true, description: MEDIA_OBJECT_ETAG_DESCRIPTION })
  eTag(@Root() object: MediaObjectSource): string | undefined {
    // One form for every store (MediaStore reports a bare digest): the quoted one HTTP sends as `ETag`.
    return object.eTag === undefined ? undefined : quoteETag(object.eTag);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The `Cache-Control` value stored with the object, returned on downloads. Costs one describe call when the object came from a listing.',
  })
  async cacheControl(@Root() object: MediaObjectSource, @Ctx() { loaders }: RequestContext): Promise<string | undefined> {
    // Listings do not carry Cache-Control; only a describe does. Entries from a listing have `kind`.
    if (!('kind' in object)) return object.cacheControl;
    const described = await loaders.describe.load(object.path);
    return described?.cacheControl;
  }
}

/** Derived fields of `ObjectFolder`. */
@Resolver(() => ObjectFolderType)
export class ObjectFolderFieldsResolver {
  @FieldResolver(() => ObjectEntryKind, { description: 'Always `FOLDER`.' })
  type(@Root() _folder: ObjectFolderSource): ObjectEntryKind {
    return ObjectEntryKind.FOLDER;
  }
}

import { parseFolderPath, parseObjectPath } from '../../datasources/object-store/object-path.js';
import type { ObjectEntry } from '../../datasources/object-store/object-store.js';
import { DomainError, badInput } from '../../core/domain-error.js';
import { createConnectionType } from '../../pagination/connection.type.js';
import { checkFirst } from '../../pagination/page-args.js';
import { paginateForward, type ConnectionData } from '../../pagination/paginate.js';
import { Arg, Ctx, Int, Mutation, Query, Resolver } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { BodyEncoding, CreateObjectUploadInput, DeleteObjectInput, PutObjectInput } from './object.inputs.js';
import { DeleteObjectPayload, ObjectUpload, PutObjectPayload } from './object.payloads.js';
import { MediaObjectType, ObjectEntryType, asEntryNode, type MediaObjectSource } from './object.type.js';

/** `ObjectEntryConnection`: a folder listing. */
export const ObjectEntryConnection = createConnectionType('ObjectEntry', () => ObjectEntryType, 'object or folder');

/** Queries and mutations of the Objects API. Thin: validation, then the object store or its loaders. */
@Resolver(() => MediaObjectType)
export class ObjectsResolver {
  @Query(() => ObjectEntryConnection, {
    description:
      'Lists one folder level (folders and objects) in store order. Cursors are opaque, signed, bound to this folder and resume from any edge; provider page tokens inside them expire after 15 minutes (`CURSOR_EXPIRED`).',
  })
  async objects(
    @Arg('path', () => String, { defaultValue: '/', description: 'Folder to list; `/` or empty for the root.' }) path: string,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of entries to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<ObjectEntry>> {
    const folder = parseFolderPath(path);
    const count = checkFirst(first, services.config.pageSizeMax);
    const store = services.objectStore;
    return paginateForward<ObjectEntry>({
      listKey: `objects:${store.provider}:${folder}`,
      first: count,
      after,
      codec: services.cursors,
      providerMaxPageSize: store.limits.maxListPageSize,
      tokenTtlMs: store.limits.listTokenTtlMs,
      fetchPage: async (request) => {
        const page = await store.list(folder, request, { signal });
        return { items: page.entries.map(asEntryNode), nextToken: page.nextToken };
      },
    });
  }

  @Query(() => MediaObjectType, {
    nullable: true,
    description: 'Describes the object at `path`; null when no object exists there. Lookups in one request are batched and deduplicated.',
  })
  async object(
    @Arg('path', () => String, { description: 'Object path, e.g. `vod/show/master.m3u8`.' }) path: string,
    @Ctx() { loaders }: RequestContext,
  ): Promise<MediaObjectSource | null> {
    return loaders.describe.load(parseObjectPath(path));
  }

  @Mutation(() => PutObjectPayload, {
    description: 'Writes a small object (at most 1 MiB decoded) inline. Use `createObjectUpload` for anything larger.',
  })
  async putObject(
    @Arg('input', () => PutObjectInput, { description: 'Path, body and metadata of the object.' }) input: PutObjectInput,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<PutObjectPayload> {
    const path = parseObjectPath(input.path);
    const bytes = decodeBody(input.body, input.encoding, services.config.inlinePutMaxBytes);
    const result = await services.objectStore.put(
      {
        path,
        body: bytes,
        contentLength: bytes.byteLength,
        contentType: input.contentType,
        cacheControl: input.cacheControl,
        uploadAvailability: input.uploadAvailability,
      },
      { signal },
    );
    loaders.describe.clear(path);
    const object = await loaders.describe.load(path);
    if (object === null) {
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'The object was written but cannot be read back yet; retry the read.');
    }
    return { object, contentSha256: result.contentSha256 };
  }

  @Mutation(() => DeleteObjectPayload, { description: 'Deletes the object at `path`. `NOT_FOUND` when there is none.' })
  async deleteObject(
    @Arg('input', () => DeleteObjectInput, { description: 'Which object to delete.' }) input: DeleteObjectInput,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<DeleteObjectPayload> {
    const path = parseObjectPath(input.path);
    await services.objectStore.delete(path, { signal });
    loaders.describe.clear(path);
    return { deletedObjectId: encodeGlobalId('MediaObject', path), path };
  }

  @Mutation(() => ObjectUpload, {
    description:
      'Issues a short-lived URL for uploading a large object with one HTTP PUT: to the gateway, which streams it to the store, or, when the deployment sets `OBJECT_URLS=direct` and the upload is STANDARD, straight to S3 (presigned; send the listed headers and Content-Length). No upstream call is made until the PUT.',
  })
  async createObjectUpload(
    @Arg('input', () => CreateObjectUploadInput, { description: 'Path and metadata of the upload.' }) input: CreateObjectUploadInput,
    @Ctx() { services }: RequestContext,
  ): Promise<ObjectUpload> {
    const path = parseObjectPath(input.path);
    const ttl = services.config.signedUrlTtlSeconds;
    const maxBytes = services.objectStore.limits.maxObjectBytes[input.uploadAvailability];
    // A presigned PUT needs its length (S3 refuses chunked uploads), so a STREAMING upload still goes through the gateway.
    const direct = services.config.objects.urls === 'direct' && input.uploadAvailability === 'STANDARD' ? services.objectStore.direct : undefined;
    if (direct !== undefined) {
      const presigned = await direct.upload(path, { contentType: input.contentType, cacheControl: input.cacheControl }, ttl);
      return { url: presigned.url, method: presigned.method, headers: [...presigned.headers], expiresAt: presigned.expiresAt, maxBytes: Math.min(maxBytes, direct.maxUploadBytes) };
    }
    const signed = services.urls.upload(path, { contentType: input.contentType, cacheControl: input.cacheControl, uploadAvailability: input.uploadAvailability }, ttl);
    const headers: { name: string; value: string }[] = [];
    if (input.contentType !== undefined) headers.push({ name: 'Content-Type', value: input.contentType });
    if (input.uploadAvailability === 'STREAMING') headers.push({ name: 'Transfer-Encoding', value: 'chunked' });
    return { url: signed.url, method: 'PUT', headers, expiresAt: signed.expiresAt, maxBytes };
  }
}

function decodeBody(body: string, encoding: BodyEncoding, maxBytes: number): Buffer {
  let bytes: Buffer;
  if (encoding === BodyEncoding.BASE64) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw badInput('`body` is not valid base64.');
    bytes = Buffer.from(body, 'base64');
  } else {
    bytes = Buffer.from(body, 'utf8');
  }
  if (bytes.byteLength > maxBytes) {
    throw new DomainError('PAYLOAD_TOO_LARGE', `Inline bodies may be at most ${maxBytes} bytes; use createObjectUpload.`, {
      details: { maxBytes },
    });
  }
  return bytes;
}

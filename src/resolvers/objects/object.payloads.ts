import { SafeIntResolver } from 'graphql-scalars';
import { Field, GraphQLISODateTime, ID, ObjectType } from '../../core/type-graphql.js';
import { MediaObjectType, type MediaObjectSource } from './object.type.js';

@ObjectType('PutObjectPayload', { description: 'Result of `putObject`.' })
export class PutObjectPayload {
  @Field(() => MediaObjectType, { description: 'The stored object as the store now describes it.' })
  object!: MediaObjectSource;

  @Field(() => String, { nullable: true, description: 'Hex SHA-256 of the stored bytes, when the store reports it.' })
  contentSha256?: string;
}

@ObjectType('DeleteObjectPayload', { description: 'Result of `deleteObject`.' })
export class DeleteObjectPayload {
  @Field(() => ID, { description: 'Global id the deleted object had.' })
  deletedObjectId!: string;

  @Field(() => String, { description: 'Path of the deleted object.' })
  path!: string;
}

@ObjectType('HttpHeader', { description: 'An HTTP header a client must send.' })
export class HttpHeader {
  @Field(() => String, { description: 'Header name.' })
  name!: string;

  @Field(() => String, { description: 'Header value.' })
  value!: string;
}

@ObjectType('ObjectUpload', {
  description:
    'A signed URL that accepts one HTTP PUT of the object body. Treat it as a secret until it expires; send the listed headers.',
})
export class ObjectUpload {
  @Field(() => String, { description: 'Absolute URL to send the PUT to, signature included: the gateway byte endpoint, or a presigned S3 URL with `OBJECT_URLS=direct`.' })
  url!: string;

  @Field(() => String, { description: 'HTTP method to use (always `PUT`).' })
  method!: string;

  @Field(() => [HttpHeader], { description: 'Headers the upload must carry, exactly as given (a presigned URL signs them).' })
  headers!: HttpHeader[];

  @Field(() => GraphQLISODateTime, { description: 'When the URL stops being accepted (UTC).' })
  expiresAt!: Date;

  @Field(() => SafeIntResolver, { description: 'Largest body the upload accepts, in bytes.' })
  maxBytes!: number;
}

import { Field, InputType, registerEnumType } from '../../core/type-graphql.js';
import { UploadAvailabilityEnum } from './object.type.js';

/** How `PutObjectInput.body` is encoded. */
export enum BodyEncoding {
  UTF8 = 'UTF8',
  BASE64 = 'BASE64',
}

registerEnumType(BodyEncoding, {
  name: 'BodyEncoding',
  description: 'How an inline body string is encoded.',
  valuesConfig: {
    UTF8: { description: 'The string is the content, stored as UTF-8 bytes.' },
    BASE64: { description: 'The string is standard base64 (RFC 4648) of the content bytes.' },
  },
});

@InputType('PutObjectInput', { description: 'A small object (up to 1 MiB decoded) written inline through GraphQL.' })
export class PutObjectInput {
  @Field(() => String, { description: 'Object path, e.g. `vod/show/master.m3u8`. Folders are created as needed.' })
  path!: string;

  @Field(() => String, { description: 'The content, encoded as `encoding` says. At most 1 MiB after decoding.' })
  body!: string;

  @Field(() => BodyEncoding, { defaultValue: BodyEncoding.UTF8, description: 'Encoding of `body`.' })
  encoding!: BodyEncoding;

  @Field(() => String, { nullable: true, description: 'MIME type stored with the object and returned on downloads.' })
  contentType?: string;

  @Field(() => String, { nullable: true, description: 'Cache-Control value stored with the object and returned on downloads.' })
  cacheControl?: string;

  @Field(() => UploadAvailabilityEnum, {
    defaultValue: UploadAvailabilityEnum.STANDARD,
    description: 'When the object becomes readable.',
  })
  uploadAvailability!: UploadAvailabilityEnum;
}

@InputType('DeleteObjectInput', { description: 'Which object to delete.' })
export class DeleteObjectInput {
  @Field(() => String, { description: 'Path of the object to delete.' })
  path!: string;
}

@InputType('CreateObjectUploadInput', { description: 'Request for a signed URL to upload a large object with a plain HTTP PUT.' })
export class CreateObjectUploadInput {
  @Field(() => String, { description: 'Object path the URL may write.' })
  path!: string;

  @Field(() => String, { nullable: true, description: 'MIME type to store with the object.' })
  contentType?: string;

  @Field(() => String, { nullable: true, description: 'Cache-Control value to store with the object.' })
  cacheControl?: string;

  @Field(() => UploadAvailabilityEnum, {
    defaultValue: UploadAvailabilityEnum.STANDARD,
    description: 'STANDARD uploads must send Content-Length; STREAMING uploads may use chunked transfer encoding.',
  })
  uploadAvailability!: UploadAvailabilityEnum;
}

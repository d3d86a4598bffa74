import { Field, GraphQLISODateTime, InputType, ObjectType, registerEnumType } from '../../core/type-graphql.js';

/** What a session token may be used for (the domain's `SessionTokenScope` strings). */
export enum SessionTokenScopeEnum {
  PLAYLIST = 'PLAYLIST',
  EDGE = 'EDGE',
}

registerEnumType(SessionTokenScopeEnum, {
  name: 'SessionTokenScope',
  description: 'What an OCI Media Streams session token may be used for.',
  valuesConfig: {
    PLAYLIST: { description: 'Generating playlists (pass the token as `Query.playlist(sessionToken:)`).' },
    EDGE: { description: 'Fetching media segments from the channel\'s edge (the token in the media URIs).' },
  },
});

@InputType('GenerateSessionTokenInput', { description: 'What a new streaming session token is for and how long it lives.' })
export class GenerateSessionTokenInput {
  @Field(() => String, { description: 'The packaging configuration the token is for: its OCID or `StreamPackagingConfig.id`.' })
  packagingConfigId!: string;

  @Field(() => [String], {
    nullable: true,
    description: 'Media assets the token is limited to (OCIDs or `MediaAsset.id`s, at most 100); omitted or empty = every asset of the configuration.',
  })
  assetIds?: string[] | null;

  @Field(() => [SessionTokenScopeEnum], { description: 'What the token may be used for; at least one.' })
  scopes!: SessionTokenScopeEnum[];

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the token expires (in the future); one hour from now when omitted.' })
  expiresAt?: Date | null;
}

@ObjectType('SessionToken', {
  description: 'A streaming session token of OCI Media Streams. It is a credential: keep it secret and do not log it.',
})
export class SessionTokenType {
  @Field(() => String, { description: 'The token.' })
  token!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the service stops accepting the token (UTC).' })
  expiresAt!: Date;
}

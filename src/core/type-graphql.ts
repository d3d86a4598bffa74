// type-graphql reads `Reflect.getMetadata` even when every decorator has an explicit type thunk, so the polyfill
// must load before any decorator runs. Every schema module imports type-graphql through this file to guarantee it.
import 'reflect-metadata';

export {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  Float,
  GraphQLISODateTime,
  ID,
  InputType,
  Int,
  InterfaceType,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
  Subscription,
  buildSchema,
  createResolversMap,
  createUnionType,
  registerEnumType,
} from 'type-graphql';
export type { ClassType, NonEmptyArray, PubSub, ResolverData } from 'type-graphql';

import { KinesisWireError } from './kinesis.errors.js';
import type { JsonInput } from './kinesis.input.js';
import { epochSeconds, optionalEnum, optionalInteger, optionalObject, optionalPattern, optionalString } from './kinesis.input.js';
import { KVS_LIST_STREAMS_MAX_RESULTS, KVS_STREAM_NAME_PATTERN } from './kinesis.limits.js';
import { decodeStreamsToken, encodeStreamsToken } from './kinesis.next-token.js';
import type { KinesisStreamStore, StreamInfo } from './kinesis.store.js';

/**
 * The control-plane operations (`@aws-sdk/client-kinesis-video`): CreateStream, DescribeStream, ListStreams,
 * GetDataEndpoint. Each takes the parsed JSON input and returns the JSON output object; failures are thrown
 * as {@link KinesisWireError}.
 */

/** The `APIName` values GetDataEndpoint accepts (the SDK's `APIName` enum). */
export const DATA_ENDPOINT_API_NAMES = [
  'PUT_MEDIA',
  'GET_MEDIA',
  'LIST_FRAGMENTS',
  'GET_MEDIA_FOR_FRAGMENT_LIST',
  'GET_HLS_STREAMING_SESSION_URL',
  'GET_DASH_STREAMING_SESSION_URL',
  'GET_CLIP',
  'GET_IMAGES',
] as const;

const ARN_PATTERN = /^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+\/[a-zA-Z0-9_.-]+\/[0-9]+$/;

/** StreamInfo as restJson1 JSON (CreationTime in epoch seconds). */
export function streamInfoJson(info: StreamInfo): Record<string, unknown> {
  return {
    ...(info.deviceName === undefined ? {} : { DeviceName: info.deviceName }),
    StreamName: info.name,
    StreamARN: info.arn,
    ...(info.mediaType === undefined ? {} : { MediaType: info.mediaType }),
    KmsKeyId: info.kmsKeyId,
    Version: info.version,
    Status: info.status,
    CreationTime: epochSeconds(info.creationTime),
    DataRetentionInHours: info.retentionHours,
  };
}

/** Reads the `StreamName` / `StreamARN` pair common to most inputs (shape only; existence is checked by the store). */
export function streamRef(input: JsonInput): { name: string | undefined; arn: string | undefined } {
  return {
    name: optionalPattern(input, 'StreamName', KVS_STREAM_NAME_PATTERN),
    arn: optionalPattern(input, 'StreamARN', ARN_PATTERN),
  };
}

/** CreateStream → `{ StreamARN }`. Tags and StreamStorageConfiguration are accepted and ignored. */
export function createStream(store: KinesisStreamStore, input: JsonInput): Record<string, unknown> {
  const name = optionalString(input, 'StreamName');
  if (name === undefined) throw new KinesisWireError('InvalidArgumentException', 'StreamName is required');
  const stream = store.create(name, {
    retentionHours: optionalInteger(input, 'DataRetentionInHours', 0, 87_600),
    mediaType: optionalString(input, 'MediaType'),
    kmsKeyId: optionalString(input, 'KmsKeyId'),
    deviceName: optionalPattern(input, 'DeviceName', /^[a-zA-Z0-9_.-]{1,128}$/),
  });
  return { StreamARN: stream.info.arn };
}

/** DescribeStream → `{ StreamInfo }`. */
export function describeStream(store: KinesisStreamStore, input: JsonInput): Record<string, unknown> {
  const ref = streamRef(input);
  return { StreamInfo: streamInfoJson(store.resolve(ref.name, ref.arn).info) };
}

/**
 * ListStreams → `{ StreamInfoList, NextToken? }`. Streams are listed by name (byte order; the service
 * documents no order); `NextToken` appears only when more remain, and a token only resumes a listing with the
 * same name condition.
 */
export function listStreams(store: KinesisStreamStore, input: JsonInput): Record<string, unknown> {
  const maxResults = optionalInteger(input, 'MaxResults', 1, KVS_LIST_STREAMS_MAX_RESULTS) ?? KVS_LIST_STREAMS_MAX_RESULTS;
  const condition = optionalObject(input, 'StreamNameCondition');
  let prefix = '';
  if (condition !== undefined) {
    const operator = optionalEnum(condition, 'ComparisonOperator', ['BEGINS_WITH'] as const);
    const value = optionalPattern(condition, 'ComparisonValue', KVS_STREAM_NAME_PATTERN);
    if (operator === undefined || value === undefined) {
      throw new KinesisWireError('InvalidArgumentException', 'StreamNameCondition needs ComparisonOperator and ComparisonValue');
    }
    prefix = value;
  }
  const token = optionalString(input, 'NextToken');
  let after: string | undefined;
  if (token !== undefined && token !== '') {
    const cursor = decodeStreamsToken(token);
    if (cursor.prefix !== prefix) throw new KinesisWireError('InvalidArgumentException', 'NextToken does not belong to this StreamNameCondition');
    after = cursor.after;
  }
  const matching = store.list().filter((stream) => stream.info.name.startsWith(prefix) && (after === undefined || stream.info.name > after));
  const page = matching.slice(0, maxResults);
  const last = page[page.length - 1];
  return {
    StreamInfoList: page.map((stream) => streamInfoJson(stream.info)),
    ...(matching.length > page.length && last !== undefined ? { NextToken: encodeStreamsToken({ after: last.info.name, prefix }) } : {}),
  };
}

/**
 * GetDataEndpoint → `{ DataEndpoint }`: always this emulator's own base URL, so media and archived-media
 * clients built from it come back here.
 */
export function getDataEndpoint(store: KinesisStreamStore, input: JsonInput, endpoint: string): Record<string, unknown> {
  const apiName = optionalEnum(input, 'APIName', DATA_ENDPOINT_API_NAMES);
  if (apiName === undefined) throw new KinesisWireError('InvalidArgumentException', 'APIName is required');
  const ref = streamRef(input);
  store.resolve(ref.name, ref.arn);
  return { DataEndpoint: endpoint };
}

import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../src/core/domain-error.js';
import {
  apiArgumentName,
  argumentInMessage,
  awsErrorFacts,
  rowFor,
  translateByTable,
  type ProviderErrorTable,
} from '../../../src/datasources/provider-errors.js';

const TABLE: ProviderErrorTable = {
  byName: {
    Missing: { code: 'NOT_FOUND', message: 'Gone.' },
    Refused: { code: 'BAD_USER_INPUT', message: 'The provider rejected the request arguments.', refusesArgument: true },
  },
  byStatus: { 404: { code: 'NOT_FOUND', message: 'Gone by status.' }, 429: { code: 'UPSTREAM_THROTTLED', message: 'Slow down.' } },
  serverError: { code: 'UPSTREAM_UNAVAILABLE', message: 'Down.' },
  network: { code: 'UPSTREAM_UNAVAILABLE', message: 'Unreachable.' },
  unexpected: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected.' },
  argumentNames: { maxResults: 'first' },
};

describe('rowFor', () => {
  it('prefers the name, then the status, then any 5xx, then no response, when several could match', () => {
    expect(rowFor(TABLE, { name: 'Missing', status: 500 }).message).toBe('Gone.');
    expect(rowFor(TABLE, { name: 'Other', status: 404 }).message).toBe('Gone by status.');
    expect(rowFor(TABLE, { name: 'Other', status: 503 }).message).toBe('Down.');
    expect(rowFor(TABLE, { name: 'Other', network: true }).message).toBe('Unreachable.');
    expect(rowFor(TABLE, { name: 'Other', status: 418 }).message).toBe('Unexpected.');
    expect(rowFor(TABLE, {}).message).toBe('Unexpected.');
  });

  it('never matches inherited object keys when the name is one', () => {
    expect(rowFor(TABLE, { name: 'constructor' }).message).toBe('Unexpected.');
    expect(rowFor(TABLE, { name: '__proto__' }).message).toBe('Unexpected.');
  });
});

describe('argumentInMessage', () => {
  it.each([
    ["1 validation error detected: Value 'x y' at 'streamName' failed to satisfy constraint", 'streamName'],
    ["Invalid value at 'page_size' (TYPE_INT32), \"x\"", 'page_size'],
    ['Value at Path failed to satisfy constraint: must not contain //', 'Path'],
    ['invalid filter: state has no value "SLEEPING"', 'filter'],
    ['invalid order_by clause "crc32c desc"', 'order_by'],
    ['Invalid limit: must be an integer from 1 to 100.', 'limit'],
    ['StartTimestamp must not be later than EndTimestamp', 'StartTimestamp'],
    ['StreamName is required', 'StreamName'],
    ['timeExpires must be in the future.', 'timeExpires'],
    ['video.uri must look like gs://bucket/object', 'video.uri'],
  ])('finds the parameter in %j', (message, field) => {
    expect(argumentInMessage(message)).toBe(field);
  });

  it.each([['Invalid page token.'], ['The request body exceeds 1048576 bytes.'], ['Content-Length must be a non-negative integer'], ['']])(
    'finds nothing when %j names no parameter',
    (message) => {
      expect(argumentInMessage(message)).toBeUndefined();
    },
  );
});

describe('apiArgumentName', () => {
  it('spells provider names in lowerCamel and renames them when the API uses another word', () => {
    expect(apiArgumentName('order_by')).toBe('orderBy');
    expect(apiArgumentName('StreamName')).toBe('streamName');
    expect(apiArgumentName('dvr_session.dvr_windows')).toBe('dvrSession.dvrWindows');
    expect(apiArgumentName('URI')).toBe('uri');
    expect(apiArgumentName('MaxResults', { maxResults: 'first' })).toBe('first');
    expect(apiArgumentName('dvrWindows[0]')).toBe('dvrWindows[0]');
  });

  it('refuses anything that is not a plain parameter path when a message holds more', () => {
    expect(apiArgumentName("labels[x]': expected")).toBeUndefined();
    expect(apiArgumentName('a b')).toBeUndefined();
    expect(apiArgumentName('x'.repeat(65))).toBeUndefined();
    expect(apiArgumentName('toString', {})).toBe('toString');
  });
});

describe('translateByTable', () => {
  it('names the refused argument and keeps the provider message for development when the row refuses arguments', () => {
    const cause = new Error('provider internals');
    const error = translateByTable(TABLE, { name: 'Refused', providerMessage: 'MaxResults must be at most 1000' }, cause);
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe('The provider rejected the request arguments: first.');
    expect(error.details).toEqual({ argument: 'first' });
    expect(error.debugMessage).toBe('MaxResults must be at most 1000');
    expect(error.cause).toBe(cause);
  });

  it('prefers the structured field over the message when the provider gives both', () => {
    const error = translateByTable(TABLE, { name: 'Refused', field: 'order_by', providerMessage: 'filter is bad' }, undefined);
    expect(error.details).toEqual({ argument: 'orderBy' });
  });

  it('keeps the generic message and the debug message when no argument is named', () => {
    const error = translateByTable(TABLE, { name: 'Refused', providerMessage: 'Request payload size exceeds the limit.' }, undefined);
    expect(error.message).toBe('The provider rejected the request arguments.');
    expect(error.details).toEqual({});
    expect(error.debugMessage).toBe('Request payload size exceeds the limit.');
  });

  it('keeps the provider message out of other rows when they do not refuse arguments', () => {
    const error = translateByTable(TABLE, { name: 'Missing', providerMessage: 'StreamName is required' }, undefined);
    expect(error.details).toEqual({});
    expect(error.debugMessage).toBeUndefined();
  });
});

describe('awsErrorFacts', () => {
  it('reads the name, status, message and a network code when given an SDK error', () => {
    const error = Object.assign(new Error('Value at Path failed'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(awsErrorFacts(error)).toEqual({ name: 'ValidationError', status: 400, network: false, providerMessage: 'Value at Path failed' });
    expect(awsErrorFacts(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).network).toBe(true);
    expect(awsErrorFacts('text')).toEqual({ name: undefined, status: undefined, network: false, providerMessage: undefined });
  });
});

/**
 * What `bench:ops`'s OTLP receiver needs to know of an OTLP/HTTP trace export (`POST /v1/traces`): how many spans it
 * carries, by name, in either encoding the exporter may use (`OTEL_EXPORTER_OTLP_PROTOCOL` `http/protobuf`, the
 * default, or `http/json`). The protobuf body is walked field by field rather than decoded against the `.proto`
 * files: only three levels of nesting and one string matter, and the receiver should cost little next to the
 * gateway it serves.
 */

/** Spans of one export, by span name. */
export type SpanNames = Record<string, number>;

/** Field numbers of `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` and what it nests. */
const RESOURCE_SPANS = 1; // ExportTraceServiceRequest.resource_spans
const SCOPE_SPANS = 2; // ResourceSpans.scope_spans
const SPANS = 2; // ScopeSpans.spans
const SPAN_NAME = 5; // Span.name

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

interface Field {
  readonly number: number;
  /** The bytes of a length-delimited field; `undefined` for the other wire types. */
  readonly bytes: Buffer | undefined;
}

/** @throws RangeError when the varint runs past the end or beyond 2^53. */
function readVarint(buffer: Buffer, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let position = offset; position < buffer.length; position += 1) {
    const byte = buffer[position] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, next: position + 1 };
    scale *= 128;
    if (scale > 2 ** 56) throw new RangeError('protobuf varint too long');
  }
  throw new RangeError('protobuf varint runs past the end');
}

/** The fields of one protobuf message, in order. @throws RangeError on a malformed message. */
function* fields(buffer: Buffer): Generator<Field> {
  let offset = 0;
  while (offset < buffer.length) {
    const key = readVarint(buffer, offset);
    const number = Math.floor(key.value / 8);
    const wire = key.value % 8;
    offset = key.next;
    if (wire === WIRE_VARINT) {
      offset = readVarint(buffer, offset).next;
      yield { number, bytes: undefined };
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      offset += wire === WIRE_FIXED64 ? 8 : 4;
      if (offset > buffer.length) throw new RangeError('protobuf fixed field runs past the end');
      yield { number, bytes: undefined };
    } else if (wire === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(buffer, offset);
      const end = length.next + length.value;
      if (end > buffer.length) throw new RangeError('protobuf field runs past the end');
      yield { number, bytes: buffer.subarray(length.next, end) };
      offset = end;
    } else {
      throw new RangeError(`protobuf wire type ${wire} is not used by OTLP`);
    }
  }
}

/** The length-delimited fields numbered `number` of a message. */
function* nested(buffer: Buffer, number: number): Generator<Buffer> {
  for (const field of fields(buffer)) {
    if (field.number === number && field.bytes !== undefined) yield field.bytes;
  }
}

function add(names: SpanNames, name: string): void {
  names[name] = (names[name] ?? 0) + 1;
}

function protobufSpans(body: Buffer): SpanNames {
  const names: SpanNames = {};
  for (const resourceSpans of nested(body, RESOURCE_SPANS)) {
    for (const scopeSpans of nested(resourceSpans, SCOPE_SPANS)) {
      for (const span of nested(scopeSpans, SPANS)) {
        let name = '';
        for (const bytes of nested(span, SPAN_NAME)) name = bytes.toString('utf8');
        add(names, name);
      }
    }
  }
  return names;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function arrayAt(value: unknown, key: string): unknown[] {
  const member = isRecord(value) ? value[key] : undefined;
  return Array.isArray(member) ? (member as unknown[]) : [];
}

function jsonSpans(body: Buffer): SpanNames {
  const names: SpanNames = {};
  const request: unknown = JSON.parse(body.toString('utf8'));
  for (const resourceSpans of arrayAt(request, 'resourceSpans')) {
    for (const scopeSpans of arrayAt(resourceSpans, 'scopeSpans')) {
      for (const span of arrayAt(scopeSpans, 'spans')) add(names, isRecord(span) && typeof span['name'] === 'string' ? span['name'] : '');
    }
  }
  return names;
}

/**
 * The spans of one OTLP/HTTP trace export body (already decompressed), by name: JSON when `contentType` is
 * `application/json`, protobuf otherwise.
 * @throws RangeError or SyntaxError when the body is not a well-formed export of that encoding.
 */
export function countOtlpSpans(body: Buffer, contentType: string): SpanNames {
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/json' ? jsonSpans(body) : protobufSpans(body);
}

/** The sum of {@link SpanNames} counts. */
export function spanTotal(names: SpanNames): number {
  return Object.values(names).reduce((sum, count) => sum + count, 0);
}

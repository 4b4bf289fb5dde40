/**
 * Every string field of every request must be valid UTF-8, checked on the request's bytes before decoding.
 *
 * MLMD's protos are proto2, whose parsers accept any bytes in a string field; ts-proto's decoder then turns an
 * invalid sequence into U+FFFD, so a context named `bad\xFF` would be stored as `bad` + U+FFFD (altered) and a
 * filter_query with `\xFF` would silently match nothing. Google's server answers INVALID_ARGUMENT "Structurally
 * invalid UTF8 string" for such a filter_query. We refuse invalid UTF-8 in any string field with INVALID_ARGUMENT
 * naming the field (and upstream's message for filter queries), rather than store bytes we could not return.
 *
 * Driven by the compiled descriptors (generated/descriptor-set.binpb): for each method its request type, for each
 * message type which field numbers hold strings or messages, so nested messages, repeated fields and map entries
 * (keys and values) are all covered without a list per RPC. Unknown fields are skipped.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  type DescriptorProto,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as FieldType,
  FileDescriptorSet,
} from '../../generated/google/protobuf/descriptor';
import { invalidArgument, MlmdError } from '../errors';
import { DESCRIPTOR_SET_PATH } from './reflection';

interface FieldInfo {
  name: string;
  /** A string, or a message (of type `message`): the only fields whose bytes can hold text. */
  kind: 'string' | 'message';
  message?: string;
  repeated: boolean;
}

interface MessageInfo {
  fields: Map<number, FieldInfo>;
  /** A map's entry: field 1 is the key, 2 the value. */
  mapEntry: boolean;
}

/** Fields whose text is a filter query; upstream's parser names their invalid UTF-8 in its own words. */
const FILTER_QUERY_FIELDS = new Set(['filter_query', 'boundary_artifacts', 'boundary_executions']);

export class RequestStringChecker {
  private readonly messages = new Map<string, MessageInfo>();
  /** gRPC method path (`/package.Service/Method`) -> request message type. */
  private readonly requests = new Map<string, string>();

  constructor(set: FileDescriptorSet) {
    for (const file of set.file ?? []) {
      const prefix = file.package ? `.${file.package}` : '';
      for (const m of file.messageType ?? []) this.index(`${prefix}.${m.name}`, m);
      for (const service of file.service ?? []) {
        for (const method of service.method ?? []) {
          this.requests.set(
            `/${file.package ? `${file.package}.` : ''}${service.name}/${method.name}`,
            method.inputType!,
          );
        }
      }
    }
  }

  private index(fullName: string, m: DescriptorProto): void {
    const fields = new Map<number, FieldInfo>();
    for (const f of m.field ?? []) {
      const repeated = f.label === Label.LABEL_REPEATED;
      if (f.type === FieldType.TYPE_STRING) fields.set(f.number!, { name: f.name!, kind: 'string', repeated });
      else if (f.type === FieldType.TYPE_MESSAGE) {
        fields.set(f.number!, { name: f.name!, kind: 'message', message: f.typeName, repeated });
      }
    }
    this.messages.set(fullName, { fields, mapEntry: m.options?.mapEntry === true });
    for (const nested of m.nestedType ?? []) this.index(`${fullName}.${nested.name}`, nested);
  }

  /** The error for the request of `methodPath` in `bytes`, or undefined when all its strings are valid UTF-8. */
  check(methodPath: string, bytes: Uint8Array): MlmdError | undefined {
    const type = this.requests.get(methodPath);
    if (type === undefined) return undefined;
    try {
      this.walk(type, bytes, '');
      return undefined;
    } catch (e) {
      if (e instanceof MlmdError) return e;
      // Malformed bytes are checkWellFormed's to report; the decoder sees them next.
      return undefined;
    }
  }

  private walk(type: string, bytes: Uint8Array, path: string): void {
    const info = this.messages.get(type);
    if (!info) return;
    const reader = new BinaryReader(bytes);
    const seen = new Map<number, number>();
    while (reader.pos < bytes.length) {
      const [number, wireType] = reader.tag();
      const field = info.fields.get(number);
      if (!field || wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, number);
        continue;
      }
      const value = reader.bytes();
      const index = seen.get(number) ?? 0;
      seen.set(number, index + 1);
      const name = `${path}${path ? '.' : ''}${field.name}${field.repeated && !this.isMap(field) ? `[${index}]` : ''}`;
      if (field.kind === 'string') {
        if (!isUtf8(value)) throw invalidUtf8(name, field.name);
      } else if (this.isMap(field)) {
        this.walkMapEntry(field, value, name);
      } else {
        this.walk(field.message!, value, name);
      }
    }
  }

  private isMap(field: FieldInfo): boolean {
    return field.kind === 'message' && this.messages.get(field.message!)?.mapEntry === true;
  }

  /** A map entry is named by its key: `custom_properties["k"]`. */
  private walkMapEntry(field: FieldInfo, bytes: Uint8Array, mapName: string): void {
    const entry = this.messages.get(field.message!)!;
    const reader = new BinaryReader(bytes);
    let key: string | undefined;
    const values: Uint8Array[] = [];
    while (reader.pos < bytes.length) {
      const [number, wireType] = reader.tag();
      if (wireType !== WireType.LengthDelimited || (number !== 1 && number !== 2)) {
        reader.skip(wireType, number);
        continue;
      }
      const value = reader.bytes();
      if (number === 2) values.push(value);
      else if (entry.fields.get(1)?.kind === 'string') {
        if (!isUtf8(value)) throw invalidUtf8(`${mapName} (a key)`, field.name);
        key = Buffer.from(value).toString('utf8');
      }
    }
    const name = `${mapName}[${key === undefined ? '' : JSON.stringify(key)}]`;
    const valueField = entry.fields.get(2);
    for (const value of values) {
      if (valueField?.kind === 'string' && !isUtf8(value)) throw invalidUtf8(name, field.name);
      if (valueField?.kind === 'message') this.walk(valueField.message!, value, name);
    }
  }
}

function invalidUtf8(path: string, fieldName: string): MlmdError {
  if (FILTER_QUERY_FIELDS.has(fieldName)) return invalidArgument(`Structurally invalid UTF8 string in ${path}`);
  return invalidArgument(`${path} is not valid UTF-8: string fields must hold UTF-8 text`);
}

let shared: RequestStringChecker | undefined;

/** The checker over every compiled .proto (built once). */
export function requestStringChecker(): RequestStringChecker {
  return (shared ??= new RequestStringChecker(FileDescriptorSet.decode(readFileSync(DESCRIPTOR_SET_PATH))));
}

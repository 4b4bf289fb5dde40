/**
 * Builds the text-format parser's schema from the .proto files as loaded by @grpc/proto-loader, so the config
 * parser accepts exactly the fields our protos declare (no hand-kept list to drift from them).
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import type { FieldSchema, MessageSchema, ScalarKind } from './textproto';

/** The parts of google.protobuf.DescriptorProto (as proto-loader renders it) that the schema needs. */
interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}
interface DescriptorShape {
  name: string;
  field: FieldDescriptor[];
  nestedType: DescriptorShape[];
  enumType: EnumShape[];
}
interface EnumShape {
  name: string;
  value: { name: string; number: number }[];
}

type Declared = { kind: 'message'; descriptor: DescriptorShape } | { kind: 'enum'; descriptor: EnumShape };

/** Every message and enum by full name. proto-loader lists only top-level ones; nested ones sit in their parent. */
function indexTypes(pkg: PackageDefinition): Map<string, Declared> {
  const index = new Map<string, Declared>();
  const addMessage = (fullName: string, d: DescriptorShape): void => {
    index.set(fullName, { kind: 'message', descriptor: d });
    for (const n of d.nestedType) addMessage(`${fullName}.${n.name}`, n);
    for (const e of d.enumType) index.set(`${fullName}.${e.name}`, { kind: 'enum', descriptor: e });
  };
  for (const [name, def] of Object.entries(pkg)) {
    if (!('format' in def)) continue; // a service
    if (def.format === 'Protocol Buffer 3 DescriptorProto') addMessage(name, def.type as DescriptorShape);
    else index.set(name, { kind: 'enum', descriptor: def.type as EnumShape });
  }
  return index;
}

const SCALARS: Record<string, ScalarKind> = {
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_BOOL: 'bool',
  TYPE_INT32: 'int32',
  TYPE_SINT32: 'sint32',
  TYPE_SFIXED32: 'sfixed32',
  TYPE_UINT32: 'uint32',
  TYPE_FIXED32: 'fixed32',
  TYPE_INT64: 'int64',
  TYPE_SINT64: 'sint64',
  TYPE_SFIXED64: 'sfixed64',
  TYPE_UINT64: 'uint64',
  TYPE_FIXED64: 'fixed64',
  TYPE_FLOAT: 'float',
  TYPE_DOUBLE: 'double',
};

export function messageSchema(pkg: PackageDefinition, fullName: string): MessageSchema {
  const cache = new Map<string, MessageSchema>();
  const index = indexTypes(pkg);

  /** Resolves a type reference as protoc does: from the innermost enclosing scope outwards. */
  const resolve = (scope: string, typeName: string): string => {
    if (typeName.startsWith('.')) return typeName.slice(1);
    const parts = scope.split('.');
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), typeName].join('.');
      if (index.has(candidate)) return candidate;
    }
    throw new Error(`proto schema: cannot resolve type ${typeName} referenced from ${scope}`);
  };

  const build = (name: string): MessageSchema => {
    const cached = cache.get(name);
    if (cached) return cached;
    const def = index.get(name);
    if (def?.kind !== 'message') throw new Error(`proto schema: ${name} is not a message`);
    const descriptor = def.descriptor;
    const fields = new Map<string, FieldSchema>();
    const schema: MessageSchema = { name, fields };
    cache.set(name, schema); // before the fields, so recursive messages terminate
    for (const f of descriptor.field) {
      const repeated = f.label === 'LABEL_REPEATED';
      if (f.type === 'TYPE_MESSAGE' || f.type === 'TYPE_GROUP') {
        const target = resolve(name, f.typeName);
        fields.set(f.name, { name: f.name, repeated, kind: 'message', message: () => build(target) });
      } else if (f.type === 'TYPE_ENUM') {
        const target = resolve(name, f.typeName);
        const enumDef = index.get(target);
        if (enumDef?.kind !== 'enum') throw new Error(`proto schema: ${target} is not an enum`);
        const values = new Map(enumDef.descriptor.value.map((v) => [v.name, v.number] as const));
        fields.set(f.name, { name: f.name, repeated, kind: 'enum', enumName: target, values });
      } else {
        const kind = SCALARS[f.type];
        if (kind === undefined) throw new Error(`proto schema: unsupported field type ${f.type} in ${name}`);
        fields.set(f.name, { name: f.name, repeated, kind });
      }
    }
    return schema;
  };

  return build(fullName);
}

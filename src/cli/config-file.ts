/**
 * Reading a text-format MetadataStoreServerConfig (--metadata_store_server_config_file), plus the blocks of our own
 * that sit beside upstream's fields in the same file (`tenants { … }`). Upstream's message is left as ml-metadata
 * declares it; our blocks are schemas here, so a typo in either is refused with its line.
 */
import { MetadataStoreServerConfig } from '../../generated/ml_metadata/proto/metadata_store';
import { loadProtos, MLMD_SERVICE_PROTO } from '../server/protos';
import { messageSchema } from './proto-schema';
import { parseTextProto, type FieldSchema, type MessageSchema, type TextMessage } from './textproto';

/** `tenants { name: ["team-a", "team-b"] sqlite_dir: "/data/tenants" max_open: 16 }`. */
export interface TenantsSection {
  names: string[];
  sqliteDir?: string;
  maxOpen?: number;
}

export interface ServerConfigFile {
  mlmd: MetadataStoreServerConfig;
  tenants?: TenantsSection;
}

const field = (name: string, kind: 'string' | 'int32', repeated = false): [string, FieldSchema] => [
  name,
  { name, kind, repeated },
];

const TENANTS_SCHEMA: MessageSchema = {
  name: 'cmf_mlmd.Tenants',
  fields: new Map([field('name', 'string', true), field('sqlite_dir', 'string'), field('max_open', 'int32')]),
};

/** Our blocks, by field name; none may reuse a name of upstream's message. */
const OUR_FIELDS: ReadonlyMap<string, FieldSchema> = new Map([
  ['tenants', { name: 'tenants', repeated: false, kind: 'message', message: () => TENANTS_SCHEMA }],
]);

let schema: MessageSchema | undefined;
function serverConfigSchema(): MessageSchema {
  if (schema) return schema;
  const upstream = messageSchema(loadProtos([MLMD_SERVICE_PROTO]), 'ml_metadata.MetadataStoreServerConfig');
  for (const name of OUR_FIELDS.keys())
    if (upstream.fields.has(name)) throw new Error(`config schema: ${name} is upstream's field`);
  return (schema = { name: upstream.name, fields: new Map([...upstream.fields, ...OUR_FIELDS]) });
}

/** Fields of ConnectionConfig's `config` oneof; the schema does not carry oneofs, so they are checked here. */
const CONNECTION_ONEOF = ['fake_database', 'mysql', 'sqlite', 'postgresql'];

function tenantsSection(block: TextMessage | undefined): TenantsSection | undefined {
  if (block === undefined) return undefined;
  const names = block.name;
  return {
    names: names === undefined ? [] : Array.isArray(names) ? (names as string[]) : [names as string],
    sqliteDir: block.sqlite_dir as string | undefined,
    maxOpen: block.max_open as number | undefined,
  };
}

/** Parses the text; throws TextProtoError (with line and column) on anything the schema does not declare. */
export function parseServerConfig(text: string): ServerConfigFile {
  const parsed = parseTextProto(text, serverConfigSchema());
  const connection = parsed.connection_config as TextMessage | undefined;
  const set = CONNECTION_ONEOF.filter((k) => connection !== undefined && k in connection);
  if (set.length > 1) throw new Error(`connection_config sets more than one of ${set.join(', ')} (they are a oneof)`);
  const tenants = tenantsSection(parsed.tenants as TextMessage | undefined);
  for (const name of OUR_FIELDS.keys()) delete parsed[name];
  return { mlmd: MetadataStoreServerConfig.fromJSON(parsed), tenants };
}

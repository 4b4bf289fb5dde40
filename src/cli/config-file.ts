/**
 * Reading a text-format MetadataStoreServerConfig (--metadata_store_server_config_file).
 */
import { MetadataStoreServerConfig } from '../../generated/ml_metadata/proto/metadata_store';
import { loadProtos, MLMD_SERVICE_PROTO } from '../server/protos';
import { messageSchema } from './proto-schema';
import { parseTextProto, type MessageSchema, type TextMessage } from './textproto';

let schema: MessageSchema | undefined;
function serverConfigSchema(): MessageSchema {
  return (schema ??= messageSchema(loadProtos([MLMD_SERVICE_PROTO]), 'ml_metadata.MetadataStoreServerConfig'));
}

/** Fields of ConnectionConfig's `config` oneof; the schema does not carry oneofs, so they are checked here. */
const CONNECTION_ONEOF = ['fake_database', 'mysql', 'sqlite', 'postgresql'];

/** Parses the text; throws TextProtoError (with line and column) on anything the protos do not declare. */
export function parseServerConfig(text: string): MetadataStoreServerConfig {
  const parsed = parseTextProto(text, serverConfigSchema());
  const connection = parsed.connection_config as TextMessage | undefined;
  const set = CONNECTION_ONEOF.filter((k) => connection !== undefined && k in connection);
  if (set.length > 1) throw new Error(`connection_config sets more than one of ${set.join(', ')} (they are a oneof)`);
  return MetadataStoreServerConfig.fromJSON(parsed);
}

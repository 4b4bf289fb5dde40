// Writes the server's MetadataStoreServerConfig (text format) to the path in argv[2], from the pod's environment
// and the mounted secrets. It runs in the chart's init container, with the image's own node, because
// ssl_config holds PEM *contents* (as upstream's), which a Secret mounted as files cannot put into a flag.
//   MLMD_DB               sqlite | postgresql | mysql
//   MLMD_SQLITE_PATH      the SQLite file (sqlite)
//   MLMD_DB_HOST, MLMD_DB_PORT, MLMD_DB_NAME, MLMD_DB_USER, MLMD_DB_PASSWORD   (postgresql, mysql)
//   MLMD_PG_SSLMODE       PostgreSQL's sslmode (optional)
//   MLMD_TLS_DIR          a directory with tls.key and tls.crt (and ca.crt for client certificates); unset: plaintext
//   MLMD_TLS_CLIENT_VERIFY  "true": require client certificates signed by ca.crt (mTLS)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const env = process.env;
// A text-format string literal: the server's parser reads JSON's escapes (\", \\, \n, \uXXXX).
const str = (value) => JSON.stringify(String(value));
const need = (name) => {
  if (!env[name]) throw new Error(`${name} is not set`);
  return env[name];
};

function connection() {
  switch (env.MLMD_DB) {
    case 'sqlite':
      return `sqlite { filename_uri: ${str(need('MLMD_SQLITE_PATH'))} connection_mode: READWRITE_OPENCREATE }`;
    case 'postgresql': {
      const ssl = env.MLMD_PG_SSLMODE ? ` ssloption { sslmode: ${str(env.MLMD_PG_SSLMODE)} }` : '';
      return (
        `postgresql { host: ${str(need('MLMD_DB_HOST'))} port: ${str(need('MLMD_DB_PORT'))}` +
        ` dbname: ${str(need('MLMD_DB_NAME'))} user: ${str(need('MLMD_DB_USER'))}` +
        ` password: ${str(env.MLMD_DB_PASSWORD ?? '')}${ssl} }`
      );
    }
    case 'mysql':
      return (
        `mysql { host: ${str(need('MLMD_DB_HOST'))} port: ${Number(need('MLMD_DB_PORT'))}` +
        ` database: ${str(need('MLMD_DB_NAME'))} user: ${str(need('MLMD_DB_USER'))}` +
        ` password: ${str(env.MLMD_DB_PASSWORD ?? '')} }`
      );
    default:
      throw new Error(`MLMD_DB must be sqlite, postgresql or mysql, not "${env.MLMD_DB ?? ''}"`);
  }
}

function sslConfig() {
  const dir = env.MLMD_TLS_DIR;
  if (!dir) return '';
  const read = (file) => fs.readFileSync(path.join(dir, file), 'utf8');
  const verify = env.MLMD_TLS_CLIENT_VERIFY === 'true';
  const ca = verify ? ` custom_ca: ${str(read('ca.crt'))} client_verify: true` : '';
  return `ssl_config { server_key: ${str(read('tls.key'))} server_cert: ${str(read('tls.crt'))}${ca} }\n`;
}

const out = process.argv[2];
if (!out) throw new Error('usage: server-config.js OUTPUT_FILE');
const text =
  `connection_config { ${connection()} }\n` +
  'migration_options { enable_upgrade_migration: true }\n' +
  sslConfig();
fs.writeFileSync(out, text, { mode: 0o600 });
console.log(`wrote ${out} (${env.MLMD_DB}${env.MLMD_TLS_DIR ? ', TLS' : ''})`);

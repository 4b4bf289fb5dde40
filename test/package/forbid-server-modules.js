// Preloaded with `node --require` where only the SDK should run: loading any of the server's database drivers
// (native better-sqlite3 included) or its server-only libraries throws, so an SDK import that drags them in fails.
'use strict';
const Module = require('node:module');

const SERVER_ONLY = /^(better-sqlite3|pg|mysql2|pino|prom-client|neo4j-driver)(\/|$)/;
const load = Module._load;
Module._load = function (request, ...rest) {
  if (SERVER_ONLY.test(request)) throw new Error(`the SDK must not load ${request}`);
  return load.call(this, request, ...rest);
};

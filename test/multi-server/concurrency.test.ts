/**
 * Many stateless servers on one shared database (PostgreSQL, or MySQL/MariaDB with MLMD_TEST_BACKEND=mysql): 3 server
 * processes, 32 concurrent clients (spread over the servers) doing a fixed number of overlapping PutExecution calls
 * that share contexts and upsert the same types. Afterwards the database holds exactly the expected records: one row
 * per type name and per context, every acknowledged execution with its artifacts, events, associations and
 * attributions, and nothing else. (With serializeOn's locks turned off, the races below store duplicate types and
 * contexts: checked by hand on both backends.)
 *
 * Clients retry ABORTED like ml-metadata's Python client; any other failure fails the test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Event_Type, PropertyType } from '../../generated/ml_metadata/proto/metadata_store';
import { uniqueDbName } from '../helpers/backend';
import {
  MlmdClient,
  requireSharedBackend,
  sharedDatabase,
  startServerProcess,
  withClientRetry,
  type RetryStats,
  type ServerProcess,
} from './harness';

requireSharedBackend();

const SERVERS = 3;
const CLIENTS = 32;
const OPS_PER_CLIENT = 8;
const EXECUTION_TYPES = ['Trainer', 'Evaluator', 'Pusher'];
const CONTEXT_TYPES = ['pipeline', 'run'];
const CONTEXTS_PER_TYPE = 3;

const database = sharedDatabase(uniqueDbName('mlmd_conc'));
const sql = <R = Record<string, unknown>>(text: string) => database.sql<R>(text);
const servers: ServerProcess[] = [];

before(async () => {
  // Started together: they race to create the database, the schema and the simple types.
  servers.push(...(await Promise.all(Array.from({ length: SERVERS }, () => startServerProcess(database.flags())))));
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await database.drop();
});

describe(`3 servers on one ${database.label} database, 32 concurrent clients`, () => {
  test(
    'overlapping PutExecution with shared contexts and type upserts: exactly the expected records',
    { timeout: 300_000 },
    async () => {
      const stats: RetryStats = { failures: new Map() };
      const RACE_ROUNDS = 5;
      const acknowledged: string[] = [];
      const clients = Array.from(
        { length: CLIENTS },
        (_, i) => new MlmdClient(servers[i % SERVERS].address, { deadlineMs: 60_000 }),
      );
      const { typeId: raceContextType } = await clients[0].putContextType({ contextType: { name: 'RaceRun' } });
      const { typeId: raceExecutionType } = await clients[0].putExecutionType({ executionType: { name: 'RaceStep' } });
      try {
        await Promise.all(clients.map((c) => c.waitForReady(30_000)));
        // Races: in each round all 32 clients upsert the same new type, then get-or-create the same new context, at once.
        for (let round = 0; round < RACE_ROUNDS; round++) {
          const typeIds = await Promise.all(
            clients.map((client) =>
              withClientRetry(
                () =>
                  client.putArtifactType({
                    artifactType: { name: `Race${round}`, properties: { p: PropertyType.INT } },
                  }),
                stats,
              ),
            ),
          );
          assert.equal(new Set(typeIds.map((r) => r.typeId)).size, 1, 'one type id for all racers');
          const ctxIds = await Promise.all(
            clients.map((client, c) =>
              withClientRetry(
                () =>
                  client.putExecution({
                    execution: { typeId: raceExecutionType, name: `race-${round}-${c}` },
                    contexts: [{ typeId: raceContextType, name: `race-ctx-${round}` }],
                    options: { reuseContextIfAlreadyExist: true },
                  }),
                stats,
              ),
            ),
          );
          assert.equal(new Set(ctxIds.map((r) => r.contextIds![0])).size, 1, 'one context for all racers');
        }
        await Promise.all(
          clients.map(async (client, c) => {
            for (let op = 0; op < OPS_PER_CLIENT; op++) {
              const n = c * OPS_PER_CLIENT + op;
              const retry = <T>(fn: () => Promise<T>) => withClientRetry(fn, stats);
              // Every call upserts the types it uses, as pipeline SDKs do; later ones add a property (can_add_fields).
              const execTypeName = EXECUTION_TYPES[n % EXECUTION_TYPES.length];
              const { typeId: execTypeId } = await retry(() =>
                client.putExecutionType({
                  executionType: {
                    name: execTypeName,
                    properties: { step: PropertyType.INT, ...(op > 3 ? { note: PropertyType.STRING } : {}) },
                  },
                  canAddFields: true,
                  canOmitFields: true,
                }),
              );
              const { typeId: artifactTypeId } = await retry(() =>
                client.putArtifactType({
                  artifactType: { name: 'Dataset', properties: { split: PropertyType.STRING } },
                  canAddFields: true,
                }),
              );
              const contextTypeIds = await Promise.all(
                CONTEXT_TYPES.map(
                  async (name) => (await retry(() => client.putContextType({ contextType: { name } }))).typeId!,
                ),
              );
              const contexts = CONTEXT_TYPES.map((t, i) => ({
                typeId: contextTypeIds[i],
                name: `${t}-${(n + i) % CONTEXTS_PER_TYPE}`,
              }));
              const name = `exec-${n}`;
              await retry(() =>
                client.putExecution({
                  execution: {
                    typeId: execTypeId,
                    name,
                    properties: { step: { value: { $case: 'intValue', value: BigInt(n) } } },
                  },
                  artifactEventPairs: [
                    {
                      artifact: { typeId: artifactTypeId, name: `in-${n}`, uri: `s3://in/${n}` },
                      event: {
                        type: Event_Type.INPUT,
                        path: {
                          steps: [{ value: { $case: 'key', value: 'in' } }, { value: { $case: 'index', value: 0n } }],
                        },
                      },
                    },
                    {
                      artifact: { typeId: artifactTypeId, name: `out-${n}`, uri: `s3://out/${n}` },
                      event: { type: Event_Type.OUTPUT },
                    },
                  ],
                  contexts,
                  options: { reuseContextIfAlreadyExist: true },
                }),
              );
              acknowledged.push(name);
            }
          }),
        );
      } finally {
        for (const c of clients) c.close();
      }
      const total = CLIENTS * OPS_PER_CLIENT;
      assert.equal(acknowledged.length, total);
      console.log(`retried failures: ${JSON.stringify(Object.fromEntries(stats.failures))}`);

      // Types: exactly one row per (kind, name) — 9 simple types + ours — and the union of the properties.
      const dupTypes = await sql(
        'SELECT name, type_kind, COUNT(*) AS n FROM Type GROUP BY name, type_kind HAVING COUNT(*) > 1',
      );
      assert.deepEqual(dupTypes, []);
      const typeCount = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM Type');
      assert.equal(Number(typeCount[0].n), 9 + EXECUTION_TYPES.length + 1 + CONTEXT_TYPES.length + 2 + RACE_ROUNDS);
      const trainerProps = await sql<{ name: string }>(
        "SELECT p.name FROM TypeProperty p JOIN Type t ON t.id = p.type_id WHERE t.name = 'Trainer' ORDER BY p.name",
      );
      assert.deepEqual(
        trainerProps.map((r) => r.name),
        ['note', 'step'],
      );

      // Contexts: exactly the shared ones.
      const contexts = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM Context');
      assert.equal(Number(contexts[0].n), CONTEXT_TYPES.length * CONTEXTS_PER_TYPE + RACE_ROUNDS);

      // Executions: every acknowledged one, once, and nothing else; with their artifacts, events and links.
      const executions = await sql<{ name: string }>(
        "SELECT name FROM Execution WHERE name NOT LIKE 'race-%' ORDER BY name",
      );
      const raceExecutions = await sql<{ n: string }>("SELECT COUNT(*) AS n FROM Execution WHERE name LIKE 'race-%'");
      assert.equal(Number(raceExecutions[0].n), RACE_ROUNDS * CLIENTS);
      assert.deepEqual(
        executions.map((r) => r.name),
        [...acknowledged].sort(),
      );
      const counts = await sql<Record<string, string>>(
        'SELECT (SELECT COUNT(*) FROM Artifact) AS artifacts, (SELECT COUNT(*) FROM Event) AS events, ' +
          '(SELECT COUNT(*) FROM EventPath) AS steps, (SELECT COUNT(*) FROM Association) AS associations, ' +
          '(SELECT COUNT(*) FROM Attribution) AS attributions, (SELECT COUNT(*) FROM ExecutionProperty) AS props',
      );
      assert.deepEqual(Object.fromEntries(Object.entries(counts[0]).map(([k, v]) => [k, Number(v)])), {
        artifacts: 2 * total,
        events: 2 * total,
        steps: 2 * total,
        associations: 2 * total + RACE_ROUNDS * CLIENTS,
        attributions: 4 * total,
        props: total,
      });

      // Read back through another server: paths keep their step order.
      const reader = new MlmdClient(servers[1].address, { deadlineMs: 60_000 });
      try {
        const [exec] = (await reader.getExecutionsByType({ typeName: 'Trainer' })).executions!;
        const events = (await reader.getEventsByExecutionIDs({ executionIds: [exec.id!] })).events!;
        const input = events.find((e) => e.type === Event_Type.INPUT)!;
        assert.deepEqual(
          input.path!.steps!.map((s) => s.value!.value),
          ['in', 0n],
        );
      } finally {
        reader.close();
      }
    },
  );
});

/**
 * Writing graph rows to Neo4j: one write transaction per batch, a handful of parameterised statements
 * (`UNWIND $rows AS r MERGE ...`), each MERGE on a stable key, so a batch replayed after a failure changes nothing.
 * User values only ever travel as parameters; labels come from fixed sets in this file, and the one relationship
 * type taken from the data (the execution type of lineage edges) goes through Cypher's dynamic `$(...)` syntax.
 */
import neo4j, { type Driver, type ManagedTransaction } from 'neo4j-driver';
import type { GraphConfig } from './config';
import { CMF_LIST_LABELS, CMF_SCALAR_LABELS, type Kind, PLAIN_LABEL, type PlainValue } from './model';
import type { GraphRows } from './rows';

export function openDriver(config: Pick<GraphConfig, 'uri' | 'user' | 'password'>): Driver {
  const auth =
    config.user !== undefined || config.password !== undefined
      ? neo4j.auth.basic(config.user ?? 'neo4j', config.password ?? '')
      : undefined;
  return neo4j.driver(config.uri, auth, {
    connectionTimeout: 5_000,
    connectionAcquisitionTimeout: 10_000,
    maxTransactionRetryTime: 5_000,
    disableLosslessIntegers: false,
  });
}

const CMF_CONTEXT_LABELS = ['Pipeline', 'Stage'];

/** Indexes and constraints the MERGE keys use; idempotent. */
export async function ensureSchema(driver: Driver, database?: string): Promise<void> {
  const statements = [
    ...Object.values(PLAIN_LABEL).map(
      (l) => `CREATE CONSTRAINT ${l.toLowerCase()}_id IF NOT EXISTS FOR (n:${l}) REQUIRE n.id IS UNIQUE`,
    ),
    ...[...CMF_CONTEXT_LABELS, 'Execution', ...CMF_LIST_LABELS, ...CMF_SCALAR_LABELS].map(
      (l) => `CREATE INDEX cmf_${l.toLowerCase()}_uri IF NOT EXISTS FOR (n:${l}) ON (n.uri)`,
    ),
  ];
  const session = driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
  try {
    for (const s of statements) await session.run(s);
    await session.run('CALL db.awaitIndexes(60)');
  } finally {
    await session.close();
  }
}

/** Values as Neo4j stores them: int64 as Neo4j Integer (lossless), everything else as is. */
function neoValue(v: unknown): unknown {
  if (typeof v === 'bigint') return neo4j.int(v.toString());
  if (Array.isArray(v)) return v.map(neoValue);
  return v;
}

function neoMap(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = neoValue(v);
  return out;
}

type Statement = [cypher: string, rows: Array<Record<string, unknown>>];

/** The statements of one batch, in dependency order (nodes before the edges that MATCH them). */
export function statementsFor(rows: GraphRows): Statement[] {
  const out: Statement[] = [];
  const add = (cypher: string, list: Array<Record<string, unknown>>): void => {
    for (let i = 0; i < list.length; i += 2000) out.push([cypher, list.slice(i, i + 2000)]);
  };
  const id = (v: bigint | number): unknown => neo4j.int(v.toString());

  // ---- plain MLMD projection
  for (const kind of ['context', 'execution', 'artifact'] as Kind[]) {
    add(
      `UNWIND $rows AS r MERGE (n:${PLAIN_LABEL[kind]} {id: r.id}) SET n = r.props`,
      rows.plainNodes[kind].map((n) => ({ id: id(n.id), props: neoMap(n.props as Record<string, PlainValue>) })),
    );
  }
  for (const inbound of [true, false]) {
    const [from, to] = inbound ? ['a', 'x'] : ['x', 'a'];
    add(
      `UNWIND $rows AS r MATCH (a:MlmdArtifact {id: r.artifact}) MATCH (x:MlmdExecution {id: r.execution}) ` +
        `MERGE (${from})-[e:$(r.type)]->(${to}) SET e = r.props`,
      rows.plainEvents
        .filter((e) => e.inbound === inbound)
        .map((e) => ({ type: e.type, artifact: id(e.artifact), execution: id(e.execution), props: neoMap(e.props) })),
    );
  }
  add(
    'UNWIND $rows AS r MATCH (a:MlmdArtifact {id: r.artifact}) MATCH (c:MlmdContext {id: r.context}) MERGE (a)-[:ATTRIBUTION]->(c)',
    rows.plainAttributions.map((p) => ({ artifact: id(p.artifact), context: id(p.context) })),
  );
  add(
    'UNWIND $rows AS r MATCH (x:MlmdExecution {id: r.execution}) MATCH (c:MlmdContext {id: r.context}) MERGE (x)-[:ASSOCIATION]->(c)',
    rows.plainAssociations.map((p) => ({ execution: id(p.execution), context: id(p.context) })),
  );
  add(
    'UNWIND $rows AS r MATCH (c:MlmdContext {id: r.child}) MATCH (p:MlmdContext {id: r.parent}) MERGE (c)-[:PARENT_CONTEXT]->(p)',
    rows.plainParents.map((p) => ({ child: id(p.child), parent: id(p.parent) })),
  );

  // ---- CMF's graph
  for (const label of CMF_CONTEXT_LABELS) {
    add(
      `UNWIND $rows AS r MERGE (n:${label} {uri: r.uri}) SET n = r.props`,
      rows.cmfContexts.filter((c) => c.label === label).map((c) => ({ uri: c.uri, props: c.props })),
    );
  }
  add(
    'UNWIND $rows AS r MERGE (n:Execution {uri: r.uri}) SET n = r.props',
    rows.cmfExecutions.map((x) => ({ ...x })),
  );
  for (const label of CMF_LIST_LABELS) {
    add(
      `UNWIND $rows AS r MERGE (n:${label} {uri: r.uri}) SET n = r.props`,
      rows.cmfListArtifacts.filter((a) => a.label === label).map((a) => ({ uri: a.uri, props: a.props })),
    );
  }
  for (const label of CMF_SCALAR_LABELS) {
    add(
      `UNWIND $rows AS r MERGE (n:${label} {uri: r.uri, Name: r.name}) SET n = r.props`,
      rows.cmfScalarArtifacts
        .filter((a) => a.label === label)
        .map((a) => ({ uri: a.uri, name: a.name, props: a.props })),
    );
  }
  add(
    'UNWIND $rows AS r MATCH (p:Pipeline {uri: r.pipeline}) MATCH (s:Stage {uri: r.stage}) MERGE (p)-[:contains]->(s)',
    rows.cmfContains.map((c) => ({ ...c })),
  );
  add(
    'UNWIND $rows AS r MATCH (s:Stage {uri: r.stage}) MATCH (x:Execution {uri: r.execution}) MERGE (s)-[:runs]->(x)',
    rows.cmfRuns.map((c) => ({ ...c })),
  );
  for (const label of [...CMF_LIST_LABELS, ...CMF_SCALAR_LABELS]) {
    const match = CMF_SCALAR_LABELS.has(label)
      ? `(a:${label} {uri: r.uri, Name: r.name})`
      : `(a:${label} {uri: r.uri})`;
    add(
      `UNWIND $rows AS r MATCH ${match} MATCH (x:Execution {uri: r.execution}) MERGE (a)-[:input]->(x)`,
      rows.cmfEventEdges.filter((e) => e.rel === 'input' && e.label === label).map((e) => ({ ...e })),
    );
    add(
      `UNWIND $rows AS r MATCH ${match} MATCH (x:Execution {uri: r.execution}) MERGE (x)-[:output]->(a)`,
      rows.cmfEventEdges.filter((e) => e.rel === 'output' && e.label === label).map((e) => ({ ...e })),
    );
  }
  add(
    'UNWIND $rows AS r MATCH (p:Execution {uri: r.from}) MATCH (c:Execution {uri: r.to}) ' +
      'MERGE (p)-[l:linked {uri: r.uri}]->(c) SET l.Artifact_Name = r.artifactName',
    rows.cmfLinked.map((l) => ({ ...l })),
  );
  // Lineage edges: inputs are list nodes (Dataset, Model); outputs may be Metrics / Step_Metrics (keyed by Name too).
  for (const fromLabel of ['Dataset', 'Model']) {
    for (const toLabel of [...CMF_LIST_LABELS, ...CMF_SCALAR_LABELS]) {
      const to = CMF_SCALAR_LABELS.has(toLabel)
        ? `(b:${toLabel} {uri: r.toUri, Name: r.toName})`
        : `(b:${toLabel} {uri: r.toUri})`;
      add(
        `UNWIND $rows AS r MATCH (a:${fromLabel} {uri: r.fromUri}) MATCH ${to} ` +
          'MERGE (a)-[e:$(r.type) {Execution_Name: r.key}]->(b) SET e = r.props',
        rows.cmfLineage.filter((l) => l.fromLabel === fromLabel && l.toLabel === toLabel).map((l) => ({ ...l })),
      );
    }
  }
  add(
    'UNWIND $rows AS r MATCH (d:Dataset {uri: r.dataset}) MATCH (l:Label {uri: r.label}) MERGE (d)-[:has_label]->(l)',
    rows.cmfHasLabel.map((h) => ({ ...h })),
  );
  return out;
}

/** Writes a batch in one Neo4j transaction (the driver retries transient failures inside executeWrite). */
export async function writeRows(driver: Driver, rows: GraphRows, database?: string): Promise<void> {
  const statements = statementsFor(rows);
  if (statements.length === 0) return;
  const session = driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
  try {
    await session.executeWrite(async (tx: ManagedTransaction) => {
      for (const [cypher, list] of statements) await tx.run(cypher, { rows: list });
    });
  } finally {
    await session.close();
  }
}

/** Deletes every node and relationship this projection owns (resync --clear). */
export async function clearGraph(driver: Driver, database?: string): Promise<void> {
  const labels = [
    ...Object.values(PLAIN_LABEL),
    ...CMF_CONTEXT_LABELS,
    'Execution',
    ...CMF_LIST_LABELS,
    ...CMF_SCALAR_LABELS,
  ];
  const session = driver.session({ database, defaultAccessMode: neo4j.session.WRITE });
  try {
    for (const l of labels) {
      await session.run(`MATCH (n:${l}) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS`);
    }
  } finally {
    await session.close();
  }
}

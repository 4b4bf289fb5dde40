/**
 * Reading and writing nodes (artifacts, executions, contexts) with MLMD's rules: property validation against the
 * type, insert vs. update (full replace or update mask), change detection for last_update_time_since_epoch, and the
 * field presence readers expect. Batch-oriented: types and stored nodes of a request are loaded with one query each.
 */
import { PropertyType, type Value } from '../../generated/ml_metadata/proto/metadata_store';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../errors';
import { noteChanged } from '../storage/change-log';
import { type Row, type SqlValue, type Tx, UniqueViolation } from '../storage/database';
import {
  idSet,
  insertReturningId,
  insertRowsReturningIds,
  nowMillis,
  onConflictUpdate,
  rowChunks,
  textSet,
  withSavepoint,
} from '../storage/sql';
import { decodeValue, encodeValue, sameValue, valueColumnsAsParams } from '../storage/values';
import type { AnyNode, NodeKindSpec } from './node-kinds';

interface TypeInfo {
  name: string;
  properties: Map<string, PropertyType>;
}

/** Loads nodes selected by `where` (a condition on the node table aliased `n`), in ascending id order. */
export async function loadNodes(
  tx: Tx,
  spec: NodeKindSpec,
  where: string,
  params: readonly SqlValue[],
): Promise<AnyNode[]> {
  const extra = spec.fields.map((f) => `, n.${f.column}`).join('');
  const rows = await tx.all<Row>(
    `SELECT n.id, n.type_id, t.name AS type_name, n.name, n.external_id, n.create_time_since_epoch, ` +
      `n.last_update_time_since_epoch${extra} FROM ${spec.table} n JOIN Type t ON t.id = n.type_id ` +
      `WHERE ${where} ORDER BY n.id`,
    params,
  );
  if (rows.length === 0) return [];
  const nodes = new Map<bigint, AnyNode>();
  for (const r of rows) {
    const node: AnyNode = {
      id: r.id as bigint,
      typeId: r.type_id as bigint,
      type: r.type_name as string,
      properties: {},
      customProperties: {},
      createTimeSinceEpoch: r.create_time_since_epoch as bigint,
      lastUpdateTimeSinceEpoch: r.last_update_time_since_epoch as bigint,
    };
    if (r.name !== null) node.name = r.name as string;
    if (r.external_id !== null) node.externalId = r.external_id as string;
    for (const f of spec.fields) {
      const v = r[f.column];
      if (v === null) continue;
      if (f.field === 'uri') node.uri = v as string;
      else node[f.field] = Number(v);
    }
    nodes.set(node.id!, node);
  }
  const ids = idSet(tx, [...nodes.keys()]);
  const props = await tx.all<Row>(
    `SELECT ${spec.ownerColumn} AS owner, name, is_custom_property, int_value, double_value, string_value, ` +
      `proto_value, bool_value FROM ${spec.propertyTable} WHERE ${spec.ownerColumn} IN (${ids.sql})`,
    [ids.param],
  );
  for (const p of props) {
    const node = nodes.get(p.owner as bigint);
    if (!node) continue;
    const map = Number(p.is_custom_property) ? node.customProperties! : node.properties!;
    map[p.name as string] = decodeValue(tx.adapter, p);
  }
  return [...nodes.values()];
}

export async function loadNodesByIds(tx: Tx, spec: NodeKindSpec, ids: readonly bigint[]): Promise<AnyNode[]> {
  if (ids.length === 0) return [];
  const set = idSet(tx, [...new Set(ids)]);
  return loadNodes(tx, spec, `n.id IN (${set.sql})`, [set.param]);
}

/** Loads nodes by id and returns them in the order of `ids` (used after a sorted id query). */
export async function loadNodesInOrder(tx: Tx, spec: NodeKindSpec, ids: readonly bigint[]): Promise<AnyNode[]> {
  const byId = new Map((await loadNodesByIds(tx, spec, ids)).map((n) => [n.id!, n]));
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

async function loadTypeInfo(tx: Tx, spec: NodeKindSpec, typeIds: readonly bigint[]): Promise<Map<bigint, TypeInfo>> {
  const result = new Map<bigint, TypeInfo>();
  if (typeIds.length === 0) return result;
  const set = idSet(tx, [...new Set(typeIds)]);
  const types = await tx.all<{ id: bigint; name: string }>(
    `SELECT id, name FROM Type WHERE type_kind = ? AND id IN (${set.sql})`,
    [spec.typeKind.kind, set.param],
  );
  for (const t of types) result.set(t.id, { name: t.name, properties: new Map() });
  const props = await tx.all<{ type_id: bigint; name: string; data_type: bigint | null }>(
    `SELECT type_id, name, data_type FROM TypeProperty WHERE type_id IN (${set.sql})`,
    [set.param],
  );
  for (const p of props) result.get(p.type_id)?.properties.set(p.name, Number(p.data_type ?? 0));
  return result;
}

const VALUE_CASE_OF: Record<number, string> = {
  [PropertyType.INT]: 'intValue',
  [PropertyType.DOUBLE]: 'doubleValue',
  [PropertyType.STRING]: 'stringValue',
  [PropertyType.STRUCT]: 'structValue',
  [PropertyType.PROTO]: 'protoValue',
  [PropertyType.BOOLEAN]: 'boolValue',
};

function validateProperties(
  spec: NodeKindSpec,
  type: TypeInfo,
  properties: { [k: string]: Value },
  keys?: Iterable<string>,
): void {
  for (const key of keys ?? Object.keys(properties)) {
    const value = properties[key];
    if (value === undefined) continue;
    const declared = type.properties.get(key);
    if (declared === undefined) {
      throw invalidArgument(`Cannot validate properties of ${spec.label}: Found unknown property: ${key}`);
    }
    if (value.value?.$case !== VALUE_CASE_OF[declared]) {
      throw invalidArgument(`Cannot validate properties of ${spec.label}: Found unmatched property type: ${key}`);
    }
  }
}

/**
 * Checks nodes against their types before anything is written, as MLMD's batch validation does: every node names a
 * type_id of the kind that is stored (NOT_FOUND naming the missing ids otherwise), and every property it carries is
 * declared by that type with the same value kind (INVALID_ARGUMENT). Custom properties are free.
 */
export async function validateNodesAgainstTypes(tx: Tx, spec: NodeKindSpec, nodes: readonly AnyNode[]): Promise<void> {
  if (nodes.length === 0) return;
  if (nodes.some((n) => n.typeId === undefined))
    throw invalidArgument(`Type id is missing. Every ${spec.label} must have a type_id.`);
  const typeIds = [...new Set(nodes.map((n) => n.typeId!))];
  const types = await loadTypeInfo(tx, spec, typeIds);
  const missing = typeIds.filter((id) => !types.has(id));
  if (missing.length > 0) throw notFound(`Results missing for ids: {${missing.join(', ')}} of ${spec.label} types`);
  for (const node of nodes) validateProperties(spec, types.get(node.typeId!)!, node.properties ?? {});
}

const KIND_OF = { Artifact: 'artifact', Execution: 'execution', Context: 'context' } as const;

/** Options of one upsert batch. */
export interface UpsertOptions {
  /** Update mask paths (PutArtifacts/PutExecutions/PutContexts only); ignored for inserts. */
  mask?: readonly string[];
  /** Rewrite and bump last_update_time even when nothing changed (PutExecution's force_update_time). */
  forceUpdateTime?: boolean;
  /** PutArtifacts' abort_if_latest_updated_time_changed. */
  abortIfLatestUpdatedTimeChanged?: boolean;
}

/**
 * Prepared context for writing a sequence of nodes of one kind: type information and the stored versions of the
 * nodes to update are loaded up front in a few queries, then each node is inserted or updated in order. A node the
 * batch did not foresee (an id learnt later, e.g. by reuse) or one the sequence already wrote is reloaded before it
 * is updated, as MLMD reloads every node, so a request is a handful of queries unless it targets a row twice.
 */
export class NodeWriter {
  /** Ids written by this writer: their snapshot in `stored` is out of date. */
  private readonly written = new Set<bigint>();

  private constructor(
    private readonly tx: Tx,
    private readonly spec: NodeKindSpec,
    private readonly types: Map<bigint, TypeInfo>,
    private readonly stored: Map<bigint, AnyNode>,
  ) {}

  static async prepare(tx: Tx, spec: NodeKindSpec, nodes: readonly AnyNode[]): Promise<NodeWriter> {
    const updateIds = nodes.filter((n) => n.id !== undefined).map((n) => n.id!);
    const stored = new Map((await loadNodesByIds(tx, spec, updateIds)).map((n) => [n.id!, n]));
    const typeIds = [...nodes.map((n) => n.typeId), ...[...stored.values()].map((n) => n.typeId)].filter(
      (t): t is bigint => t !== undefined,
    );
    return new NodeWriter(tx, spec, await loadTypeInfo(tx, spec, typeIds), stored);
  }

  /** Inserts (no id) or updates (id) one node; returns its id. */
  async upsert(node: AnyNode, options: UpsertOptions = {}): Promise<bigint> {
    if (node.id !== undefined && (this.written.has(node.id) || !this.stored.has(node.id))) await this.reload(node.id);
    if (node.typeId !== undefined && !this.types.has(node.typeId)) {
      for (const [id, info] of await loadTypeInfo(this.tx, this.spec, [node.typeId])) this.types.set(id, info);
    }
    const id = node.id === undefined ? await this.insert(node) : await this.update(node, options);
    this.written.add(id);
    noteChanged(this.tx, KIND_OF[this.spec.label], id);
    return id;
  }

  /**
   * Inserts new nodes (none carries an id) with a few multi-row statements instead of two statements per node; returns
   * their ids in order. The outcome is the per-node path's: every node is checked before anything is written, the
   * nodes before the first invalid one are inserted and then its error is thrown, and a unique violation replays its
   * chunk node by node so the error names the node MLMD would name.
   *
   * Ids are matched to nodes by order (insertRowsReturningIds, storage/sql.ts).
   */
  async insertAll(nodes: readonly AnyNode[]): Promise<bigint[]> {
    const { spec, tx } = this;
    const valid: Array<{ node: AnyNode; properties: SqlValue[][] }> = [];
    let firstError: unknown;
    for (const node of nodes) {
      try {
        const type = this.typeOf(node.typeId);
        validateProperties(spec, type, node.properties ?? {});
        if (spec.nameRequired && !node.name) throw invalidArgument('Context name should not be empty');
        valid.push({ node, properties: this.propertyRows(node) });
      } catch (e) {
        firstError = e;
        break;
      }
    }
    const now = nowMillis(tx);
    const extra = spec.fields.map((f) => f.column);
    const placeholders = `(?, ?, ?, ?, ?${extra.map(() => ', ?').join('')})`;
    const ids: bigint[] = [];
    for (const { start, size } of rowChunks(valid.length)) {
      const chunk = valid.slice(start, start + size);
      const params: SqlValue[] = [];
      for (const { node } of chunk) {
        params.push(node.typeId!, node.name ?? null, node.externalId ?? null, now, now, ...this.fieldValues(node));
      }
      let chunkIds: bigint[] | undefined;
      try {
        chunkIds = await withSavepoint(tx, () =>
          insertRowsReturningIds(
            tx,
            `INSERT INTO ${spec.table} (type_id, name, external_id, create_time_since_epoch, ` +
              `last_update_time_since_epoch${extra.map((c) => ', ' + c).join('')}) VALUES ` +
              Array(size).fill(placeholders).join(', '),
            params,
            size,
          ),
        );
      } catch (e) {
        if (!(e instanceof UniqueViolation)) throw e;
        // The statement was undone; node by node, the first colliding node fails with MLMD's message.
      }
      if (chunkIds === undefined) {
        // A collision, or a backend that cannot tell a multi-row INSERT's ids (MySQL's interleaved AUTO_INCREMENT).
        for (const { node } of chunk) ids.push(await this.insert(node));
        continue;
      }
      const propertyRows: SqlValue[][] = [];
      chunk.forEach(({ properties }, i) => {
        for (const row of properties) propertyRows.push([chunkIds[i], ...row]);
      });
      await this.insertPropertyRows(propertyRows);
      ids.push(...chunkIds);
    }
    for (const id of ids) this.written.add(id);
    noteChanged(tx, KIND_OF[spec.label], ...ids);
    if (firstError !== undefined) throw firstError;
    return ids;
  }

  /** A new node's property rows without the owner id: [name, is_custom_property, value columns...]. */
  private propertyRows(node: AnyNode): SqlValue[][] {
    const rows: SqlValue[][] = [];
    for (const [custom, values] of [
      [false, node.properties ?? {}],
      [true, node.customProperties ?? {}],
    ] as const) {
      for (const key of Object.keys(values)) {
        const columns = encodeValue(
          this.tx.adapter,
          values[key],
          `${custom ? 'custom_properties' : 'properties'}[${JSON.stringify(key)}]`,
        );
        rows.push([key, custom ? 1 : 0, ...valueColumnsAsParams(columns)]);
      }
    }
    return rows;
  }

  private async insertPropertyRows(rows: readonly SqlValue[][]): Promise<void> {
    const { spec, tx } = this;
    for (const { start, size } of rowChunks(rows.length, 256)) {
      await tx.run(
        `INSERT INTO ${spec.propertyTable} (${spec.ownerColumn}, name, is_custom_property, int_value, double_value, ` +
          `string_value, proto_value, bool_value) VALUES ${Array(size).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        rows.slice(start, start + size).flat(),
      );
    }
  }

  private async reload(id: bigint): Promise<void> {
    const [node] = await loadNodesByIds(this.tx, this.spec, [id]);
    this.written.delete(id);
    if (!node) {
      this.stored.delete(id);
      return;
    }
    this.stored.set(id, node);
    if (!this.types.has(node.typeId!)) {
      for (const [typeId, info] of await loadTypeInfo(this.tx, this.spec, [node.typeId!])) this.types.set(typeId, info);
    }
  }

  private typeOf(typeId: bigint | undefined): TypeInfo {
    if (typeId === undefined) throw invalidArgument(`Type id is missing. ${this.spec.label} must have a type_id.`);
    const type = this.types.get(typeId);
    if (!type) throw notFound(`Cannot find type for ${this.spec.label} with type_id: ${typeId}`);
    return type;
  }

  private async insert(node: AnyNode): Promise<bigint> {
    const { spec, tx } = this;
    const type = this.typeOf(node.typeId);
    validateProperties(spec, type, node.properties ?? {});
    if (spec.nameRequired && !node.name) throw invalidArgument('Context name should not be empty');
    const now = nowMillis(tx);
    const extra = spec.fields.map((f) => f.column);
    let id: bigint;
    try {
      id = await insertReturningId(
        tx,
        `INSERT INTO ${spec.table} (type_id, name, external_id, create_time_since_epoch, last_update_time_since_epoch` +
          `${extra.map((c) => ', ' + c).join('')}) VALUES (?, ?, ?, ?, ?${extra.map(() => ', ?').join('')})`,
        [node.typeId!, node.name ?? null, node.externalId ?? null, now, now, ...this.fieldValues(node)],
      );
    } catch (e) {
      if (e instanceof UniqueViolation) {
        throw alreadyExists(
          `Given node already exists: ${spec.label} with type_id ${node.typeId}` +
            `${node.name !== undefined ? `, name ${JSON.stringify(node.name)}` : ''}` +
            `${node.externalId !== undefined ? ` or external_id ${JSON.stringify(node.externalId)}` : ''}: ${e.message}`,
        );
      }
      throw e;
    }
    await this.writeProperties(id, node.properties ?? {}, false, Object.keys(node.properties ?? {}));
    await this.writeProperties(id, node.customProperties ?? {}, true, Object.keys(node.customProperties ?? {}));
    return id;
  }

  /** Column values of the kind-specific fields, with MLMD's defaults (an artifact's uri is stored as ''). */
  private fieldValues(node: AnyNode): SqlValue[] {
    return this.spec.fields.map((f) => {
      if (f.field === 'uri') return node.uri ?? '';
      return node[f.field] ?? null;
    });
  }

  private async update(request: AnyNode, options: UpsertOptions): Promise<bigint> {
    const { spec, tx } = this;
    const id = request.id!;
    const stored = this.stored.get(id);
    if (!stored) throw invalidArgument(`Cannot find the given id ${id} of ${spec.label}`);
    if (request.typeId !== undefined && request.typeId !== stored.typeId) {
      throw invalidArgument(`Given type_id ${request.typeId} is different from the one known before: ${stored.typeId}`);
    }
    if (
      options.abortIfLatestUpdatedTimeChanged &&
      request.lastUpdateTimeSinceEpoch !== stored.lastUpdateTimeSinceEpoch
    ) {
      throw failedPrecondition(
        `${spec.label} ${id} has been updated since it was read: last_update_time_since_epoch is ` +
          `${stored.lastUpdateTimeSinceEpoch}, the request has ${request.lastUpdateTimeSinceEpoch ?? 'none'}`,
      );
    }
    const type = this.typeOf(stored.typeId);
    const mask = parseMask(options.mask ?? []);

    // The node as it will be stored: the request (no mask), or the stored node with the masked fields copied over.
    const merged: AnyNode = mask.empty ? { ...request } : { ...stored };
    if (!mask.empty) {
      for (const field of mask.fields) {
        const value = request[field];
        if (value === undefined) delete merged[field];
        else (merged as Record<string, unknown>)[field] = value;
      }
    }
    if (spec.nameRequired && !merged.name) throw invalidArgument('Context name should not be empty');

    const propertyChanges = diffProperties(
      stored.properties ?? {},
      request.properties ?? {},
      mask.empty ? 'all' : mask.properties,
    );
    validateProperties(spec, type, request.properties ?? {}, propertyChanges.upserts);
    const customChanges = diffProperties(
      stored.customProperties ?? {},
      request.customProperties ?? {},
      mask.empty ? 'all' : mask.customProperties,
    );

    const rowChanged = ROW_FIELDS.some((f) => !sameField(merged[f], stored[f]));
    const anyChange =
      rowChanged ||
      propertyChanges.upserts.length +
        propertyChanges.deletes.length +
        customChanges.upserts.length +
        customChanges.deletes.length >
        0;
    if (!anyChange && !options.forceUpdateTime) return id;

    let now = nowMillis(this.tx);
    // A writer that checked last_update_time must see it move forward, even within the same millisecond.
    if (stored.lastUpdateTimeSinceEpoch !== undefined && now <= stored.lastUpdateTimeSinceEpoch)
      now = stored.lastUpdateTimeSinceEpoch + 1n;
    const sets = ['external_id = ?', 'last_update_time_since_epoch = ?', ...spec.fields.map((f) => `${f.column} = ?`)];
    const params: SqlValue[] = [merged.externalId ?? null, now, ...this.fieldValues(merged)];
    if (spec.nameRequired) {
      sets.push('name = ?');
      params.push(merged.name!);
    }
    try {
      await tx.run(`UPDATE ${spec.table} SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
    } catch (e) {
      if (e instanceof UniqueViolation) throw alreadyExists(`Cannot update ${spec.label} ${id}: ${e.message}`);
      throw e;
    }
    await this.deleteProperties(id, propertyChanges.deletes, false);
    await this.deleteProperties(id, customChanges.deletes, true);
    await this.writeProperties(id, request.properties ?? {}, false, propertyChanges.upserts);
    await this.writeProperties(id, request.customProperties ?? {}, true, customChanges.upserts);
    return id;
  }

  private async writeProperties(
    id: bigint,
    values: { [k: string]: Value },
    custom: boolean,
    keys: readonly string[],
  ): Promise<void> {
    const { spec, tx } = this;
    // Chunked like every multi-row insert (rowChunks): a node may carry any number of properties, and one statement
    // for all of them would exceed the database's bound-parameter limit (SQLite: 32,766).
    for (const { start, size } of rowChunks(keys.length, 256)) {
      const rows: SqlValue[] = [];
      for (const key of keys.slice(start, start + size)) {
        const columns = encodeValue(
          tx.adapter,
          values[key],
          `${custom ? 'custom_properties' : 'properties'}[${JSON.stringify(key)}]`,
        );
        rows.push(id, key, custom ? 1 : 0, ...valueColumnsAsParams(columns));
      }
      // Re-writing a key replaces every value column (the value's kind may change).
      await tx.run(
        `INSERT INTO ${spec.propertyTable} (${spec.ownerColumn}, name, is_custom_property, int_value, double_value, ` +
          `string_value, proto_value, bool_value) VALUES ${Array(size).fill('(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ` +
          onConflictUpdate(
            tx,
            [spec.ownerColumn, 'name', 'is_custom_property'],
            ['int_value', 'double_value', 'string_value', 'proto_value', 'bool_value'],
            'byte_value = NULL',
          ),
        rows,
      );
    }
  }

  private async deleteProperties(id: bigint, keys: readonly string[], custom: boolean): Promise<void> {
    if (keys.length === 0) return;
    const names = textSet(this.tx, keys);
    await this.tx.run(
      `DELETE FROM ${this.spec.propertyTable} WHERE ${this.spec.ownerColumn} = ? AND is_custom_property = ? ` +
        `AND name IN (${names.sql})`,
      [id, custom ? 1 : 0, names.param],
    );
  }
}

/** Fields compared to decide whether a node's row changed (MLMD ignores type_id, timestamps and property maps here). */
const ROW_FIELDS = ['id', 'name', 'uri', 'state', 'lastKnownState', 'externalId', 'type', 'systemMetadata'] as const;

function sameField(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return (
    JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ===
    JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
  );
}

type MaskableField = 'name' | 'uri' | 'state' | 'lastKnownState' | 'externalId' | 'systemMetadata';
const MASKABLE: Record<string, MaskableField> = {
  name: 'name',
  uri: 'uri',
  state: 'state',
  last_known_state: 'lastKnownState',
  external_id: 'externalId',
  system_metadata: 'systemMetadata',
};

interface ParsedMask {
  empty: boolean;
  fields: MaskableField[];
  properties: 'all' | Set<string>;
  customProperties: 'all' | Set<string>;
}

/**
 * Update-mask paths: top-level fields, `properties` / `custom_properties` (the whole map) or `properties.<key>`.
 * Unknown or nested paths are ignored, as MLMD does; paths naming id, type, type_id or timestamps have no effect.
 */
function parseMask(paths: readonly string[]): ParsedMask {
  const mask: ParsedMask = {
    empty: paths.length === 0,
    fields: [],
    properties: new Set(),
    customProperties: new Set(),
  };
  for (const path of paths) {
    for (const [prefix, key] of [
      ['custom_properties', 'customProperties'],
      ['properties', 'properties'],
    ] as const) {
      if (path === prefix) mask[key] = 'all';
      else if (path.startsWith(prefix + '.')) {
        const current = mask[key];
        if (current !== 'all') current.add(path.slice(prefix.length + 1));
      }
    }
    const field = MASKABLE[path];
    if (field) mask.fields.push(field);
  }
  return mask;
}

interface PropertyDiff {
  upserts: string[];
  deletes: string[];
}

/** What to write to make the stored map match the request, for all keys or only the masked ones. */
function diffProperties(
  stored: { [k: string]: Value },
  requested: { [k: string]: Value },
  keys: 'all' | Set<string>,
): PropertyDiff {
  const candidates = keys === 'all' ? new Set([...Object.keys(stored), ...Object.keys(requested)]) : keys;
  const diff: PropertyDiff = { upserts: [], deletes: [] };
  for (const key of candidates) {
    const want = requested[key];
    const have = stored[key];
    if (want === undefined) {
      if (have !== undefined) diff.deletes.push(key);
    } else if (have === undefined || !sameValue(have, want)) {
      diff.upserts.push(key);
    }
  }
  return diff;
}

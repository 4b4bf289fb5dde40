/**
 * Types: upsert with MLMD's evolution rules (can_add_fields / can_omit_fields, versions, base_type, external_id) and
 * the type reads. Artifact, execution and context types share one Type table, so one implementation serves all three.
 */
import {
  ArtifactStructType,
  artifactType_SystemDefinedBaseTypeToJSON,
  PropertyType,
  propertyTypeToJSON,
} from '../../generated/ml_metadata/proto/metadata_store';
import { alreadyExists, invalidArgument, notFound, unimplemented } from '../errors';
import { SIMPLE_TYPES } from '../storage/bootstrap';
import { type Row, type SqlValue, type Tx, UniqueViolation } from '../storage/database';
import { idSet, insertReturningId, serializeOn, textSet } from '../storage/sql';
import { lookup, type RpcTable, write } from './rpc';
import { type KindName, TYPE_KINDS, type TypeKindSpec } from './type-kinds';

/** The fields of ArtifactType, ExecutionType and ContextType together (each kind uses its subset). */
export interface AnyType {
  id?: bigint;
  name?: string;
  version?: string;
  description?: string;
  externalId?: string;
  properties?: { [key: string]: PropertyType };
  baseType?: number;
  inputType?: ArtifactStructType;
  outputType?: ArtifactStructType;
}

export interface UpsertFlags {
  canAddFields?: boolean;
  canOmitFields?: boolean;
  allFieldsMatch?: boolean;
}

/** Which optional parts a read returns; MLMD's type reads differ here and clients compare whole protos. */
export interface TypeView {
  externalId: boolean;
  baseType: boolean;
  structTypes: boolean;
}
const FULL_VIEW: TypeView = { externalId: true, baseType: true, structTypes: true };

const SIMPLE_TYPE_NAMES = new Set(SIMPLE_TYPES.map((t) => t.name));

/** `version` unset and "" are the same unversioned identity. */
function versionOrNull(version: string | undefined): string | null {
  return version === undefined || version === '' ? null : version;
}

export async function findTypeId(
  tx: Tx,
  spec: TypeKindSpec,
  name: string,
  version?: string,
): Promise<bigint | undefined> {
  const v = versionOrNull(version);
  const row = await tx.get<{ id: bigint }>(
    v === null
      ? 'SELECT id FROM Type WHERE name = ? AND type_kind = ? AND version IS NULL ORDER BY id LIMIT 1'
      : 'SELECT id FROM Type WHERE name = ? AND type_kind = ? AND version = ? ORDER BY id LIMIT 1',
    v === null ? [name, spec.kind] : [name, spec.kind, v],
  );
  return row?.id;
}

async function storedProperties(tx: Tx, typeId: bigint): Promise<Map<string, PropertyType>> {
  const rows = await tx.all<{ name: string; data_type: bigint | null }>(
    'SELECT name, data_type FROM TypeProperty WHERE type_id = ?',
    [typeId],
  );
  return new Map(rows.map((r) => [r.name, Number(r.data_type ?? 0) as PropertyType]));
}

function checkPropertyTypes(type: AnyType): void {
  for (const [name, dataType] of Object.entries(type.properties ?? {})) {
    if (dataType === PropertyType.UNKNOWN || dataType === PropertyType.UNRECOGNIZED) {
      throw invalidArgument(`Property ${name} is UNKNOWN.`);
    }
  }
}

/** Creates the type or evolves the stored one; returns its id. One of MLMD's most-tested rules, see spec §1.1. */
/**
 * An ExecutionType's input_type / output_type as MLMD stores it: proto3 JSON. An enum number MLMD does not know (a
 * nested base_type or property type) would print as "UNRECOGNIZED", which neither we nor the ml-metadata package can
 * read back: INVALID_ARGUMENT naming the field.
 */
function structTypeJson(value: ArtifactStructType | undefined, field: string): string | null {
  if (value === undefined) return null;
  const unknown = unknownEnumIn(value);
  if (unknown !== undefined) throw invalidArgument(`${field} holds an unknown ${unknown}`);
  return JSON.stringify(ArtifactStructType.toJSON(value));
}

/** The first enum value in `t` that has no name, described for a message; undefined when there is none. */
function unknownEnumIn(t: ArtifactStructType): string | undefined {
  const first = (items: readonly ArtifactStructType[] = []) => items.map(unknownEnumIn).find((u) => u !== undefined);
  const kind = t.kind;
  switch (kind?.$case) {
    case 'simple': {
      const { baseType, properties = {} } = kind.value;
      if (baseType !== undefined && artifactType_SystemDefinedBaseTypeToJSON(baseType) === 'UNRECOGNIZED') {
        return `base_type ${baseType}`;
      }
      const bad = Object.entries(properties).find(([, p]) => propertyTypeToJSON(p) === 'UNRECOGNIZED');
      return bad && `property type ${bad[1]} (property ${JSON.stringify(bad[0])})`;
    }
    case 'unionType':
      return first(kind.value.candidates);
    case 'intersection':
      return first(kind.value.constraints);
    case 'tuple':
      return first(kind.value.elements);
    case 'list':
      return first(kind.value.element && [kind.value.element]);
    case 'dict': {
      const { properties = {}, extraPropertiesType } = kind.value;
      return first([...Object.values(properties), ...(extraPropertiesType ? [extraPropertiesType] : [])]);
    }
    default:
      return undefined;
  }
}

export async function upsertType(tx: Tx, spec: TypeKindSpec, type: AnyType, flags: UpsertFlags): Promise<bigint> {
  if (flags.allFieldsMatch === false) throw unimplemented('Must match all fields.');
  const name = type.name ?? '';
  if (name === '') throw invalidArgument('No type name is specified.');
  const requested = new Map(Object.entries(type.properties ?? {}));
  // MLMD's schema has no unique constraint on type names: concurrent upserts of one name (from any server on a
  // shared database) take turns, and each sees the type the previous one committed.
  await serializeOn(tx, [`type:${spec.kind}:${name}`]);
  let typeId = await findTypeId(tx, spec, name, type.version);

  if (typeId === undefined) {
    checkPropertyTypes(type);
    try {
      typeId = await insertReturningId(
        tx,
        'INSERT INTO Type (name, version, type_kind, description, input_type, output_type, external_id) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
          name,
          versionOrNull(type.version),
          spec.kind,
          type.description ?? null,
          structTypeJson(type.inputType, 'input_type'),
          structTypeJson(type.outputType, 'output_type'),
          type.externalId ?? null,
        ],
      );
    } catch (e) {
      if (e instanceof UniqueViolation)
        throw alreadyExists(`Type external_id ${JSON.stringify(type.externalId)} is already used by another type`);
      throw e;
    }
    for (const [propName, dataType] of requested) {
      await tx.run('INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)', [
        typeId,
        propName,
        dataType,
      ]);
    }
  } else {
    const stored = await storedProperties(tx, typeId);
    const differences: string[] = [];
    for (const [propName, dataType] of requested) {
      const have = stored.get(propName);
      if (have !== undefined && have !== dataType)
        differences.push(
          `property ${propName} has type ${PropertyType[have]}, not ${PropertyType[dataType] ?? dataType}`,
        );
      if (have === undefined && !flags.canAddFields)
        differences.push(`property ${propName} is new and can_add_fields is false`);
    }
    if (!flags.canOmitFields) {
      for (const propName of stored.keys()) {
        if (!requested.has(propName))
          differences.push(`stored property ${propName} is missing and can_omit_fields is false`);
      }
    }
    if (differences.length > 0) {
      throw alreadyExists(
        `Type already exists with different properties: ${spec.label} ${name}: ${differences.join('; ')}`,
      );
    }
    for (const [propName, dataType] of requested) {
      if (stored.has(propName)) continue;
      if (dataType === PropertyType.UNKNOWN || dataType === PropertyType.UNRECOGNIZED) {
        throw invalidArgument(`Property ${propName} is UNKNOWN.`);
      }
      await tx.run('INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)', [
        typeId,
        propName,
        dataType,
      ]);
    }
    if (type.externalId !== undefined) {
      try {
        await tx.run('UPDATE Type SET external_id = ? WHERE id = ?', [type.externalId, typeId]);
      } catch (e) {
        if (e instanceof UniqueViolation)
          throw alreadyExists(`Type external_id ${JSON.stringify(type.externalId)} is already used by another type`);
        throw e;
      }
    }
  }
  await linkBaseType(tx, spec, typeId, type.baseType);
  return typeId;
}

async function linkBaseType(tx: Tx, spec: TypeKindSpec, typeId: bigint, baseType: number | undefined): Promise<void> {
  if (baseType === undefined) return;
  if (baseType === 0) throw unimplemented('base_type deletion is not supported yet');
  const simpleName = spec.baseTypes.get(baseType);
  if (simpleName === undefined) throw invalidArgument(`Unknown base_type ${baseType} for ${spec.label}`);
  const parent = await tx.get<{ id: bigint }>(
    'SELECT id FROM Type WHERE name = ? AND type_kind = ? AND version IS NULL ORDER BY id LIMIT 1',
    [simpleName, spec.kind],
  );
  if (!parent) throw notFound(`The simple type ${simpleName} is missing from the store`);
  const existing = await tx.all<{ parent_type_id: bigint }>('SELECT parent_type_id FROM ParentType WHERE type_id = ?', [
    typeId,
  ]);
  if (existing.length === 0) {
    await tx.run('INSERT INTO ParentType (type_id, parent_type_id) VALUES (?, ?)', [typeId, parent.id]);
  } else if (!existing.some((r) => r.parent_type_id === parent.id)) {
    throw unimplemented('base_type update is not supported yet');
  }
}

/** Loads types of one kind selected by `where` (a condition on Type aliased `t`) in id order. */
export async function loadTypes(
  tx: Tx,
  spec: TypeKindSpec,
  where: string,
  params: readonly SqlValue[],
  view: TypeView = FULL_VIEW,
): Promise<Map<bigint, AnyType>> {
  const rows = await tx.all<Row>(
    `SELECT t.id, t.name, t.version, t.description, t.input_type, t.output_type, t.external_id FROM Type t ` +
      `WHERE t.type_kind = ? AND (${where}) ORDER BY t.id`,
    [spec.kind, ...params],
  );
  const types = new Map<bigint, AnyType>();
  if (rows.length === 0) return types;
  for (const r of rows) {
    const t: AnyType = { id: r.id as bigint, name: r.name as string, properties: {} };
    if (r.version !== null) t.version = r.version as string;
    if (r.description !== null) t.description = r.description as string;
    if (view.externalId && r.external_id !== null) t.externalId = r.external_id as string;
    if (view.structTypes && spec.name === 'execution') {
      if (r.input_type !== null) t.inputType = ArtifactStructType.fromJSON(JSON.parse(r.input_type as string));
      if (r.output_type !== null) t.outputType = ArtifactStructType.fromJSON(JSON.parse(r.output_type as string));
    }
    types.set(t.id!, t);
  }
  const ids = idSet(tx, [...types.keys()]);
  const props = await tx.all<{ type_id: bigint; name: string; data_type: bigint | null }>(
    `SELECT type_id, name, data_type FROM TypeProperty WHERE type_id IN (${ids.sql}) ORDER BY type_id, name`,
    [ids.param],
  );
  for (const p of props) types.get(p.type_id)!.properties![p.name] = Number(p.data_type ?? 0);
  if (view.baseType && spec.baseTypes.size > 0) {
    const reverse = new Map([...spec.baseTypes].map(([value, simple]) => [simple, value]));
    const parents = await tx.all<{ type_id: bigint; parent_name: string }>(
      `SELECT pt.type_id, p.name AS parent_name FROM ParentType pt JOIN Type p ON p.id = pt.parent_type_id ` +
        `WHERE pt.type_id IN (${ids.sql})`,
      [ids.param],
    );
    for (const p of parents) {
      const value = reverse.get(p.parent_name);
      if (value !== undefined) types.get(p.type_id)!.baseType = value;
    }
  }
  return types;
}

async function getTypeByName(tx: Tx, spec: TypeKindSpec, name: string | undefined, version: string | undefined) {
  const id = await findTypeId(tx, spec, name ?? '', version);
  const type =
    id === undefined
      ? undefined
      : (await loadTypes(tx, spec, 't.id = ?', [id], { ...FULL_VIEW, baseType: spec.name !== 'context' })).get(id);
  if (!type) throw notFound(`No type found for query, name: \`${name ?? ''}\`, version: \`${version ?? ''}\``);
  return type;
}

/** Get*Types: every type of the kind except MLMD's built-in simple types, without external ids. */
export async function getAllTypes(tx: Tx, spec: TypeKindSpec): Promise<AnyType[]> {
  const all = await loadTypes(tx, spec, '1 = 1', [], { externalId: false, baseType: true, structTypes: true });
  return [...all.values()].filter((t) => spec.name === 'context' || !SIMPLE_TYPE_NAMES.has(t.name!));
}

/** Request order, duplicates repeated, unknown ids (and ids of other kinds) skipped. */
export async function getTypesByIds(
  tx: Tx,
  spec: TypeKindSpec,
  ids: readonly bigint[],
  view: TypeView = FULL_VIEW,
): Promise<AnyType[]> {
  if (ids.length === 0) return [];
  const set = idSet(tx, ids);
  const found = await loadTypes(tx, spec, `t.id IN (${set.sql})`, [set.param], view);
  return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
}

async function getTypesByExternalIds(tx: Tx, spec: TypeKindSpec, externalIds: readonly string[]): Promise<AnyType[]> {
  if (externalIds.length === 0) return [];
  if (externalIds.some((e) => e === '')) throw invalidArgument('external_ids cannot contain an empty string');
  const set = textSet(tx, [...new Set(externalIds)]);
  const found = await loadTypes(tx, spec, `t.external_id IN (${set.sql})`, [set.param], {
    externalId: true,
    baseType: false,
    structTypes: false,
  });
  if (found.size === 0) throw notFound(`No ${spec.label} found with external_ids: ${externalIds.join(', ')}`);
  return [...found.values()];
}

const A = TYPE_KINDS.artifact;
const E = TYPE_KINDS.execution;
const C = TYPE_KINDS.context;

function flagsOf(r: { canAddFields?: boolean; canOmitFields?: boolean; allFieldsMatch?: boolean }): UpsertFlags {
  return { canAddFields: r.canAddFields, canOmitFields: r.canOmitFields, allFieldsMatch: r.allFieldsMatch };
}

type TypesRpc =
  | 'putArtifactType'
  | 'putExecutionType'
  | 'putContextType'
  | 'putTypes'
  | 'getArtifactType'
  | 'getExecutionType'
  | 'getContextType'
  | 'getArtifactTypes'
  | 'getExecutionTypes'
  | 'getContextTypes'
  | 'getArtifactTypesById'
  | 'getExecutionTypesById'
  | 'getContextTypesById'
  | 'getArtifactTypesByExternalIds'
  | 'getExecutionTypesByExternalIds'
  | 'getContextTypesByExternalIds';

export const typeRpcs: RpcTable<TypesRpc> = {
  putArtifactType: write(async (tx, r) => ({ typeId: await upsertType(tx, A, r.artifactType ?? {}, flagsOf(r)) })),
  putExecutionType: write(async (tx, r) => ({ typeId: await upsertType(tx, E, r.executionType ?? {}, flagsOf(r)) })),
  putContextType: write(async (tx, r) => ({ typeId: await upsertType(tx, C, r.contextType ?? {}, flagsOf(r)) })),
  putTypes: write(async (tx, r) => {
    const flags = flagsOf(r);
    const upsertAll = async (spec: TypeKindSpec, types: AnyType[] | undefined) => {
      const ids: bigint[] = [];
      for (const t of types ?? []) ids.push(await upsertType(tx, spec, t, flags));
      return ids;
    };
    const artifactTypeIds = await upsertAll(A, r.artifactTypes);
    const executionTypeIds = await upsertAll(E, r.executionTypes);
    const contextTypeIds = await upsertAll(C, r.contextTypes);
    return { artifactTypeIds, executionTypeIds, contextTypeIds };
  }),
  getArtifactType: lookup(async (tx, r) => ({ artifactType: await getTypeByName(tx, A, r.typeName, r.typeVersion) })),
  getExecutionType: lookup(async (tx, r) => ({ executionType: await getTypeByName(tx, E, r.typeName, r.typeVersion) })),
  getContextType: lookup(async (tx, r) => ({ contextType: await getTypeByName(tx, C, r.typeName, r.typeVersion) })),
  getArtifactTypes: lookup(async (tx) => ({ artifactTypes: await getAllTypes(tx, A) })),
  getExecutionTypes: lookup(async (tx) => ({ executionTypes: await getAllTypes(tx, E) })),
  getContextTypes: lookup(async (tx) => ({ contextTypes: await getAllTypes(tx, C) })),
  getArtifactTypesById: lookup(
    async (tx, r) => ({ artifactTypes: await getTypesByIds(tx, A, r.typeIds ?? []) }),
    (r) => r.typeIds,
  ),
  getExecutionTypesById: lookup(
    async (tx, r) => ({ executionTypes: await getTypesByIds(tx, E, r.typeIds ?? []) }),
    (r) => r.typeIds,
  ),
  getContextTypesById: lookup(
    async (tx, r) => ({
      contextTypes: await getTypesByIds(tx, C, r.typeIds ?? [], {
        externalId: true,
        baseType: false,
        structTypes: false,
      }),
    }),
    (r) => r.typeIds,
  ),
  getArtifactTypesByExternalIds: lookup(
    async (tx, r) => ({ artifactTypes: await getTypesByExternalIds(tx, A, r.externalIds ?? []) }),
    (r) => r.externalIds,
  ),
  getExecutionTypesByExternalIds: lookup(
    async (tx, r) => ({ executionTypes: await getTypesByExternalIds(tx, E, r.externalIds ?? []) }),
    (r) => r.externalIds,
  ),
  getContextTypesByExternalIds: lookup(
    async (tx, r) => ({ contextTypes: await getTypesByExternalIds(tx, C, r.externalIds ?? []) }),
    (r) => r.externalIds,
  ),
};

export type { KindName };

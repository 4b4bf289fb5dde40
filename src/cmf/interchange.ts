/**
 * cmflib's interchange JSON (CmfQuery.dumptojson / extract_to_json: the body of `cmf metadata push`, of cmf-server's
 * pull and of its server-to-server sync), read into typed records. Every field the merge uses is checked here, before
 * a transaction opens, so a malformed payload is refused with a message naming the field and nothing is written.
 *
 * Values are read as Python reads them (integers exact, floats kept apart from integers) and converted to MLMD values
 * with cmflib's rule for new records: int and bool -> int_value, float -> double_value, str -> string_value.
 * Lists, objects and null are refused (cmflib's exporter never writes them; MLMD could not store them).
 */
import type { Value } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';
import { PyFloat, type PyJson, PyJsonSyntaxError, pyJsonLoads } from '../python-text';
import { int, str } from './model';

export type Props = { [key: string]: Value };

export interface InArtifact {
  /** The artifact type name (Dataset, Model, Metrics, Step_Metrics, Dataslice, Environment, Label, ...). */
  type: string;
  name: string;
  uri: string;
  properties: Props;
  customProperties: Props;
  createTimeSinceEpoch?: bigint;
}

export interface InEvent {
  /** MLMD's event type number (3 = INPUT; cmflib reads every other type as an output). */
  type: number;
  artifact: InArtifact;
}

export interface InExecution {
  /** "" for a normal execution; a reusable execution's name otherwise. */
  name: string;
  properties: Props;
  customProperties: Props;
  /** The Execution_uuid property split on commas; absent only where cmflib's version check fails. */
  uuids?: string[];
  events: InEvent[];
  createTimeSinceEpoch?: bigint;
  lastUpdateTimeSinceEpoch?: bigint;
  /** Where it sits in the document, for messages. */
  path: string;
}

export interface InStage {
  name: string;
  customProperties: Props;
  executions: InExecution[];
  createTimeSinceEpoch?: bigint;
  path: string;
}

export interface InPipeline {
  name: string;
  stages: InStage[];
  path: string;
}

export interface InterchangeDocument {
  pipelines: InPipeline[];
}

type Obj = { [key: string]: PyJson };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isObject(v: PyJson | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyFloat);
}

function object(v: PyJson | undefined, path: string): Obj {
  if (!isObject(v)) throw invalidArgument(`${path} must be a JSON object`);
  return v;
}

function array(v: PyJson | undefined, path: string): PyJson[] {
  if (!Array.isArray(v)) throw invalidArgument(`${path} must be a JSON array`);
  return v;
}

function string(v: PyJson | undefined, path: string): string {
  if (typeof v !== 'string') throw invalidArgument(`${path} must be a string`);
  return v;
}

function optionalInt(v: PyJson | undefined, path: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return BigInt(v);
  throw invalidArgument(`${path} must be an integer`);
}

/** cmflib's value_to_mlmd_value for one property value. */
export function toMlmdValue(v: PyJson, path: string): Value {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean') return int(v ? 1 : 0);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = BigInt(v);
    if (n < INT64_MIN || n > INT64_MAX) throw invalidArgument(`${path} is outside the int64 range`);
    return int(n);
  }
  if (v instanceof PyFloat) {
    // SQLite cannot hold NaN (it reads back as NULL), and no backend may store what it cannot return.
    if (!Number.isFinite(v.value)) throw invalidArgument(`${path} is ${v.value}, which cannot be stored`);
    return { value: { $case: 'doubleValue', value: v.value } };
  }
  throw invalidArgument(`${path} must be a string, an integer or a float`);
}

function props(v: PyJson | undefined, path: string): Props {
  if (v === undefined) return {};
  const o = object(v, path);
  const out: Props = {};
  for (const key of Object.keys(o)) out[key] = toMlmdValue(o[key], `${path}[${JSON.stringify(key)}]`);
  return out;
}

function readArtifact(v: PyJson, path: string): InArtifact {
  const o = object(v, path);
  return {
    type: string(o.type, `${path}.type`),
    name: string(o.name, `${path}.name`),
    uri: o.uri === undefined ? '' : string(o.uri, `${path}.uri`),
    properties: props(o.properties, `${path}.properties`),
    customProperties: props(o.custom_properties, `${path}.custom_properties`),
    createTimeSinceEpoch: optionalInt(o.create_time_since_epoch, `${path}.create_time_since_epoch`),
  };
}

function readEvent(v: PyJson, path: string): InEvent {
  const o = object(v, path);
  const type = optionalInt(o.type, `${path}.type`);
  if (type === undefined || type < 0n || type > 7n)
    throw invalidArgument(`${path}.type must be an MLMD event type (0-7)`);
  return { type: Number(type), artifact: readArtifact(o.artifact, `${path}.artifact`) };
}

function readExecution(v: PyJson, path: string): InExecution {
  const o = object(v, path);
  const properties = props(o.properties, `${path}.properties`);
  for (const key of ['Context_Type', 'Execution'] as const) {
    if (properties[key]?.value?.$case !== 'stringValue') {
      throw invalidArgument(`${path}.properties.${key} must be a string`);
    }
  }
  if (properties.Context_Type.value?.$case === 'stringValue' && properties.Context_Type.value.value === '') {
    throw invalidArgument(`${path}.properties.Context_Type must not be empty`);
  }
  let uuids: string[] | undefined;
  const uuid = properties.Execution_uuid?.value;
  if (uuid !== undefined) {
    if (uuid.$case !== 'stringValue') throw invalidArgument(`${path}.properties.Execution_uuid must be a string`);
    uuids = uuid.value.split(',');
  }
  return {
    name: o.name === undefined ? '' : string(o.name, `${path}.name`),
    properties,
    customProperties: props(o.custom_properties, `${path}.custom_properties`),
    uuids,
    events: array(o.events ?? [], `${path}.events`).map((e, i) => readEvent(e, `${path}.events[${i}]`)),
    createTimeSinceEpoch: optionalInt(o.create_time_since_epoch, `${path}.create_time_since_epoch`),
    lastUpdateTimeSinceEpoch: optionalInt(o.last_update_time_since_epoch, `${path}.last_update_time_since_epoch`),
    path,
  };
}

function readStage(v: PyJson, path: string): InStage {
  const o = object(v, path);
  const name = string(o.name, `${path}.name`);
  if (name === '') throw invalidArgument(`${path}.name must not be empty`);
  return {
    name,
    customProperties: props(o.custom_properties, `${path}.custom_properties`),
    executions: array(o.executions, `${path}.executions`).map((x, i) => readExecution(x, `${path}.executions[${i}]`)),
    createTimeSinceEpoch: optionalInt(o.create_time_since_epoch, `${path}.create_time_since_epoch`),
    path,
  };
}

function readPipeline(v: PyJson, path: string): InPipeline {
  const o = object(v, path);
  const name = string(o.name, `${path}.name`);
  if (name.trim() === '') throw invalidArgument(`${path}.name must not be empty`);
  return { name, stages: array(o.stages, `${path}.stages`).map((s, i) => readStage(s, `${path}.stages[${i}]`)), path };
}

/**
 * Reads an interchange document. `{"Pipeline": []}` (or no Pipeline key) is cmf-server's "invalid_json_payload":
 * INVALID_ARGUMENT here, as every other malformed document, unless `allowEmpty` (a peer with nothing new).
 */
export function readInterchange(text: string, allowEmpty = false): InterchangeDocument {
  let doc: PyJson;
  try {
    doc = pyJsonLoads(text);
  } catch (e) {
    if (e instanceof PyJsonSyntaxError) throw invalidArgument(`the metadata JSON is not valid JSON: ${e.message}`);
    throw e;
  }
  const root = object(doc, 'the metadata JSON');
  const pipelines = root.Pipeline === undefined ? [] : array(root.Pipeline, 'Pipeline');
  if (pipelines.length === 0 && !allowEmpty) {
    throw invalidArgument('invalid_json_payload: the metadata JSON has no "Pipeline" entries');
  }
  return { pipelines: pipelines.map((p, i) => readPipeline(p, `Pipeline[${i}]`)) };
}

/** The file names (basenames) of the Environment artifacts a document names: the env files a sync fetches. */
export function environmentFileNames(doc: InterchangeDocument): string[] {
  const names = new Set<string>();
  for (const p of doc.pipelines) {
    for (const s of p.stages) {
      for (const x of s.executions) {
        for (const e of x.events) {
          if (e.artifact.type === 'Environment') names.add(e.artifact.name.split(':')[0].split('/').pop()!);
        }
      }
    }
  }
  names.delete('');
  return [...names];
}

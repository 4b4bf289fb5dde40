/**
 * The shape of cmflib's records in MLMD: type names, declared properties, property names and the naming rules of
 * contexts and artifacts. Everything CMF writes is defined here once.
 */
import { PropertyType, type Value } from '../../generated/ml_metadata/proto/metadata_store';
import { invalidArgument } from '../errors';
import { pyFloatStr } from '../python-text';

export const PIPELINE_TYPE = 'Parent_Context';
export const STAGE_TYPE = 'Pipeline_Stage';

export const ARTIFACTS_PATH = 'cmf_artifacts';
export const METRICS_PATH = 'metrics';
export const DATASLICE_PATH = 'dataslice';

const S = PropertyType.STRING;
const I = PropertyType.INT;

export const PIPELINE_TYPE_PROPERTIES = { Pipeline: S };
export const STAGE_TYPE_PROPERTIES = { Pipeline_Stage: S };

/** The 10 declared properties of every CMF ExecutionType. */
export const EXECUTION_TYPE_PROPERTIES = {
  Execution_uuid: S,
  Context_Type: S,
  Context_ID: I,
  Execution: S,
  Execution_type_name: S,
  Pipeline_Type: S,
  Pipeline_id: I,
  Git_Repo: S,
  Git_Start_Commit: S,
  Git_End_Commit: S,
};

/** Artifact types and their declared properties. */
export const ARTIFACT_TYPES = {
  Dataset: { git_repo: S, Commit: S, url: S },
  Model: { model_framework: S, model_type: S, model_name: S, Commit: S, url: S },
  Metrics: { metrics_name: S },
  Step_Metrics: { Commit: S, url: S },
  Dataslice: { git_repo: S, Commit: S, url: S },
  Environment: { git_repo: S, Commit: S, url: S },
  Label: { git_repo: S, Commit: S, url: S },
} as const;
export type ArtifactTypeName = keyof typeof ARTIFACT_TYPES;

export const str = (s: string): Value => ({ value: { $case: 'stringValue', value: s } });
export const int = (n: bigint | number): Value => ({ value: { $case: 'intValue', value: BigInt(n) } });

export function stringOf(v: Value | undefined): string {
  const x = v?.value;
  if (!x) return '';
  if (x.$case === 'stringValue') return x.value;
  if (x.$case === 'intValue' || x.$case === 'doubleValue' || x.$case === 'boolValue') return String(x.value);
  return '';
}

export function intOf(v: Value | undefined): bigint | undefined {
  const x = v?.value;
  return x?.$case === 'intValue' ? x.value : undefined;
}

/** Stage context name. */
export const stageName = (pipeline: string, stage: string) => `${pipeline}/${stage}`;

const HASH = /^[0-9a-f]{32}(\.dir)?$/;
const MD5 = /^[0-9a-f]{32}$/;

export function checkHash(hash: string | undefined, what: string, allowDir = true): string {
  const h = hash ?? '';
  if (!(allowDir ? HASH : MD5).test(h)) {
    throw invalidArgument(
      `${what}: ${JSON.stringify(h)} is not a content hash (expected 32 lowercase hex digits${allowDir ? ', optionally followed by ".dir"' : ''})`,
    );
  }
  return h;
}

export function checkNonEmpty(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw invalidArgument(`${what} must not be empty`);
  return value;
}

/** cmflib's event strings: "input" is INPUT, "output" OUTPUT (case-insensitive); we reject anything else. */
export function parseEvent(event: string | undefined): 'input' | 'output' {
  const e = (event ?? '').toLowerCase();
  if (e !== 'input' && e !== 'output') {
    throw invalidArgument(`event must be "input" or "output", not ${JSON.stringify(event ?? '')}`);
  }
  return e;
}

/** A path as recorded in names: relative, no empty segments. */
export function checkPath(path: string | undefined, what: string): string {
  const p = checkNonEmpty(path, what);
  if (p.includes(':'))
    throw invalidArgument(`${what} ${JSON.stringify(p)} must not contain ":" (CMF names split on it)`);
  return p;
}

/** cmflib's "update" conversion: ints stay ints, everything else becomes Python's str() of the value. */
export function updateValue(v: Value): Value {
  const x = v.value;
  if (!x) return str('None');
  switch (x.$case) {
    case 'intValue':
    case 'stringValue':
      return v;
    case 'boolValue':
      return int(x.value ? 1 : 0);
    case 'doubleValue':
      return str(pyFloatStr(x.value));
    default:
      return str(JSON.stringify(x.value));
  }
}

/** cmflib's URL-append rule: a blank url becomes `url`; otherwise `url` is comma-appended unless already a substring. */
export function appendedUrl(old: string, url: string): string {
  return old.trim() === '' ? url : old.includes(url) ? old : `${old},${url}`;
}

/** The custom properties whose values cmflib merges as comma lists instead of replacing. */
const SET_MERGED = new Set(['labels', 'labels_uri', 'dataset_uri']);

/**
 * cmflib's custom-property merge on an existing artifact: each value with the "update" conversion; labels,
 * labels_uri and dataset_uri become a comma list without duplicates (first-seen order, where cmflib's set order is
 * arbitrary).
 */
export function mergedCustomProperties(
  existing: { [key: string]: Value },
  custom: { [key: string]: Value },
): { [key: string]: Value } {
  const merged = { ...existing };
  for (const [k, v] of Object.entries(custom)) {
    const value = updateValue(v);
    const old = stringOf(merged[k]);
    if (
      SET_MERGED.has(k) &&
      value.value?.$case === 'stringValue' &&
      merged[k]?.value?.$case === 'stringValue' &&
      old !== ''
    ) {
      merged[k] = str([...new Set(`${old},${value.value.value}`.split(','))].join(','));
    } else {
      merged[k] = value;
    }
  }
  return merged;
}

/** Python's str() of a stored value (cmflib writes `str(x)` for some properties it copies). */
export function pyStrOf(v: Value | undefined): string {
  const x = v?.value;
  if (x?.$case === 'doubleValue') return pyFloatStr(x.value);
  if (x?.$case === 'boolValue') return x.value ? 'True' : 'False';
  return x === undefined ? 'None' : stringOf(v);
}

/** cmf-server's record of when a pushed stage, execution or artifact was created where it came from. */
export const ORIGINAL_CREATE_TIME = 'original_create_time_since_epoch';

/** Adds original_create_time_since_epoch (cmf-server's push does, for every stage, execution and artifact). */
export function withOriginalCreateTime(
  custom: { [key: string]: Value },
  createTime: bigint | undefined,
): { [key: string]: Value } {
  return createTime === undefined ? custom : { ...custom, [ORIGINAL_CREATE_TIME]: str(String(createTime)) };
}

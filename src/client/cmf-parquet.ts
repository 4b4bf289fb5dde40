/**
 * The Parquet files cmflib writes with pandas, written from TypeScript (@dsnp/parquetjs) so that pandas reads them
 * back as the same DataFrames: step metrics (index `SequenceNumber`, one column per metric key) and dataslices
 * (index `Path`, column `hash` plus the custom keys). The index is stored as a column plus the "pandas" schema
 * metadata naming it, as DataFrame.to_parquet does.
 *
 * Column types follow pandas' inference: all integers -> int64; numbers (or integers with gaps) -> float64;
 * booleans -> bool; strings -> string (object). JavaScript has one number type, so a metric whose values are all
 * whole numbers is int64 unless given as `new PyFloat(x)` (the same marker the SDK accepts for properties).
 */
import { ParquetSchema, ParquetWriter } from '@dsnp/parquetjs';
import { PyFloat } from '../python-text';

export type Cell = string | number | bigint | boolean | PyFloat | null | undefined;
export type Row = Record<string, Cell>;

type Kind = 'int64' | 'float64' | 'bool' | 'string';

function kindOf(values: Cell[]): { kind: Kind; optional: boolean } {
  const present = values.filter((x) => x !== null && x !== undefined);
  const optional = present.length !== values.length;
  if (present.length === 0) return { kind: 'float64', optional: true };
  if (present.every((x) => typeof x === 'boolean')) return { kind: optional ? 'string' : 'bool', optional };
  if (present.every((x) => typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x)))) {
    return { kind: optional ? 'float64' : 'int64', optional };
  }
  if (present.every((x) => typeof x === 'number' || typeof x === 'bigint' || x instanceof PyFloat))
    return { kind: 'float64', optional };
  return { kind: 'string', optional };
}

const PARQUET_TYPE: Record<Kind, string> = { int64: 'INT64', float64: 'DOUBLE', bool: 'BOOLEAN', string: 'UTF8' };

function convert(kind: Kind, x: Cell): unknown {
  if (x === null || x === undefined) return undefined;
  const plain = x instanceof PyFloat ? x.value : x;
  switch (kind) {
    case 'int64':
      return BigInt(plain as number | bigint);
    case 'float64':
      return Number(plain);
    case 'bool':
      return plain;
    case 'string':
      return typeof plain === 'string' ? plain : String(plain);
  }
}

function pandasMetadata(indexName: string, indexKind: Kind, columns: Array<{ name: string; kind: Kind }>): string {
  const col = (name: string, kind: Kind) => ({
    name,
    field_name: name,
    pandas_type: kind === 'string' ? 'unicode' : kind === 'float64' ? 'float64' : kind === 'bool' ? 'bool' : 'int64',
    numpy_type: kind === 'string' ? 'object' : kind,
    metadata: null,
  });
  return JSON.stringify({
    index_columns: [indexName],
    column_indexes: [
      { name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } },
    ],
    columns: [...columns.map((c) => col(c.name, c.kind)), col(indexName, indexKind)],
    creator: { library: 'cmf-mlmd', version: '0.1.0' },
    pandas_version: '2.2.0',
  });
}

/** Writes `rows` (in order, keyed by their index value) as a pandas-compatible Parquet file. */
export async function writeIndexedParquet(
  file: string,
  indexName: string,
  index: Array<string | bigint>,
  rows: Row[],
): Promise<void> {
  const names: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!names.includes(k)) names.push(k);
  if (names.includes(indexName)) throw new Error(`a column may not be named ${indexName} (it is the index)`);
  const columns = names.map((name) => ({ name, ...kindOf(rows.map((r) => r[name])) }));
  const indexKind: Kind = typeof index[0] === 'bigint' ? 'int64' : 'string';
  const fields: Record<string, { type: string; optional?: boolean }> = {};
  for (const c of columns) fields[c.name] = { type: PARQUET_TYPE[c.kind], optional: c.optional };
  fields[indexName] = { type: PARQUET_TYPE[indexKind] };
  const writer = await ParquetWriter.openFile(new ParquetSchema(fields as never), file);
  writer.setMetadata('pandas', pandasMetadata(indexName, indexKind, columns));
  try {
    for (let i = 0; i < rows.length; i++) {
      const record: Record<string, unknown> = { [indexName]: index[i] };
      for (const c of columns) {
        const value = convert(c.kind, rows[i][c.name]);
        if (value !== undefined) record[c.name] = value;
      }
      await writer.appendRow(record);
    }
  } finally {
    await writer.close();
  }
}

/** Step metrics: rows numbered 1..n under `SequenceNumber`. */
export function writeStepMetrics(file: string, rows: Row[]): Promise<void> {
  return writeIndexedParquet(
    file,
    'SequenceNumber',
    rows.map((_, i) => BigInt(i + 1)),
    rows,
  );
}

/** A dataslice: one row per file path (`Path`), with its `hash` and custom columns. */
export function writeDataslice(file: string, rows: Map<string, Row>): Promise<void> {
  return writeIndexedParquet(file, 'Path', [...rows.keys()], [...rows.values()]);
}

/**
 * Reads a Parquet file written by pandas or by us back into rows (index column included under its name, as
 * `DataFrame.reset_index()` would show it). INT64 values come back as bigint.
 */
export async function readParquetRows(file: string): Promise<Array<Record<string, unknown>>> {
  const { ParquetReader } = await import('@dsnp/parquetjs');
  const reader = await ParquetReader.openFile(file);
  try {
    const cursor = reader.getCursor();
    const rows: Array<Record<string, unknown>> = [];
    for (let row = await cursor.next(); row; row = await cursor.next())
      rows.push({ ...(row as Record<string, unknown>) });
    return rows;
  } finally {
    await reader.close();
  }
}

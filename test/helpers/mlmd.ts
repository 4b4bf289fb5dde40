/**
 * Small helpers shared by the MLMD integration tests: status assertions, value builders and a comparison form of
 * decoded messages (ts-proto attaches `_unknownFields: {}` to every decoded message).
 */
import * as assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';

import { MlmdClientError, statusName } from '../../src/client';
import { PropertyType, type Value } from '../../generated/ml_metadata/proto/metadata_store';

export { status };

/** Awaits `promise`, which must reject with an MlmdClientError of `code`; returns the error. */
export async function expectStatus(
  promise: Promise<unknown>,
  code: status,
  detailsIncludes?: string | RegExp,
): Promise<MlmdClientError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (e) {
    assert.ok(e instanceof MlmdClientError, `expected an MlmdClientError, got ${String(e)}`);
    assert.equal(
      statusName(e.code),
      statusName(code),
      `expected ${statusName(code)}, got ${statusName(e.code)}: ${e.details}`,
    );
    if (typeof detailsIncludes === 'string') {
      assert.ok(
        e.details.includes(detailsIncludes),
        `details ${JSON.stringify(e.details)} lack ${JSON.stringify(detailsIncludes)}`,
      );
    } else if (detailsIncludes) {
      assert.match(e.details, detailsIncludes);
    }
    return e;
  }
  assert.fail(`expected ${statusName(code)}, but the call succeeded: ${inspect(result)}`);
}

function inspect(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return String(v);
  }
}

/** A deep copy without `_unknownFields` (and without keys whose value is undefined) for deepEqual comparisons. */
export function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => plain(v)) as T;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plain(v)])) as T;
  if (value instanceof Uint8Array) return Buffer.from(value) as unknown as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '_unknownFields' || v === undefined) continue;
      out[k] = plain(v);
    }
    return out as T;
  }
  return value;
}

/** Own keys that are present (not undefined), excluding `_unknownFields`. */
export function presentKeys(message: object): string[] {
  return Object.entries(message)
    .filter(([k, v]) => k !== '_unknownFields' && v !== undefined)
    .map(([k]) => k)
    .sort();
}

export const intValue = (v: bigint | number): Value => ({ value: { $case: 'intValue', value: BigInt(v) } });
export const doubleValue = (v: number): Value => ({ value: { $case: 'doubleValue', value: v } });
export const stringValue = (v: string): Value => ({ value: { $case: 'stringValue', value: v } });
export const boolValue = (v: boolean): Value => ({ value: { $case: 'boolValue', value: v } });
export const structValue = (v: Record<string, unknown>): Value => ({ value: { $case: 'structValue', value: v } });

/** Unique names per test run so tests in one file never collide. */
let counter = 0;
export function uniq(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}`;
}

export { PropertyType };

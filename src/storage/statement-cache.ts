/**
 * A bounded cache of prepared statements (or of anything derived from SQL text), least recently used first out.
 *
 * SQL text varies with the shape of a request (a filter_query's structure, a batch's row count), so a cache keyed by
 * it without a bound grows with every distinct request a client invents: 1,500 distinct filters once took a server
 * from 182 to 445 MB. Evicted statements are finalised when garbage-collected.
 */

/** Statements kept per connection: far more than the shapes the domains use, few enough to stay a few MB. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * Longer SQL is prepared for each use and never cached: such text comes from one request's size (a filter's long
 * IN list), is rarely used twice, and its prepared statement is large (it grows with the text). So a cache holds at
 * most STATEMENT_CACHE_SIZE statements of at most this much text each.
 */
export const MAX_CACHED_SQL_LENGTH = 4096;

export class LruCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly capacity: number,
    private readonly create: (key: string) => V,
    private readonly maxKeyLength = MAX_CACHED_SQL_LENGTH,
  ) {}

  get(key: string): V {
    if (key.length > this.maxKeyLength) return this.create(key);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the entry as the most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = this.create(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

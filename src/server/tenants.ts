/**
 * The tenants a server serves: name -> that tenant's store and everything built on it (the MLMD and CMF APIs, the
 * cmf-server data directory and peer registry), opened on first use, at most `maxOpen` at once (the least recently
 * used idle one is closed first; one in use never is), all closed at shutdown.
 *
 * Each call is dispatched here once (`use`, or `scope` for a service's method table): the tenant it names, or the
 * default when it names none, must be one of the known tenants. An unknown name is refused, never created: stores
 * come only from the configuration. With access control on, its decision point refuses a principal without a role
 * in the tenant before the call gets here, so an unknown tenant then looks like any tenant one has no role in.
 */
import { invalidArgument, MlmdError, Code } from '../errors';
import { checkTenantName, DEFAULT_TENANT } from '../storage/tenants';
import type { ApiScope, CallContext } from './services';

export interface Closable {
  close(): Promise<void>;
}

export interface TenantsOptions<T extends Closable> {
  /** The known tenants (`default`, the configured store, among them). */
  names: readonly string[];
  /** Opens a tenant's store (creating and upgrading it like the default one) and builds what serves it. */
  open(name: string): Promise<T>;
  /** Stores open at once, pinned ones included (exceeded only while every open store is in use). */
  maxOpen: number;
  /** Tenants never closed before shutdown (the default store, which the Neo4j projection and start-up opened). */
  pinned?: readonly string[];
  /** Where a call that names no tenant goes; `default` unless access control says otherwise (the principal's). */
  defaultTenant?: (context: CallContext | undefined) => string;
  /** Told of a failure to close an evicted store. */
  onError?: (error: unknown) => void;
}

interface Entry<T> {
  store: Promise<T>;
  /** Calls using the store now: an entry in use is never closed. */
  users: number;
}

export class Tenants<T extends Closable> {
  private readonly known: ReadonlySet<string>;
  private readonly pinned: ReadonlySet<string>;
  /** In order of last use, oldest first. */
  private readonly open = new Map<string, Entry<T>>();
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly options: TenantsOptions<T>) {
    this.known = new Set(options.names);
    this.pinned = new Set(options.pinned ?? []);
  }

  /** The known tenants' names (`default` among them). */
  names(): string[] {
    return [...this.known];
  }

  /** Whether `name` is a known tenant. */
  has(name: string): boolean {
    return this.known.has(name);
  }

  /** The tenant a call reaches: the one it names (checked), else the default. */
  tenantOf(context: CallContext | undefined): string {
    const named = context?.tenant;
    if (named === undefined) return this.options.defaultTenant?.(context) ?? DEFAULT_TENANT;
    checkTenantName(named, 'tenant');
    if (!this.known.has(named)) {
      throw invalidArgument(`tenant ${named} is not configured on this server (--tenants or tenants { name: … })`);
    }
    return named;
  }

  /** Runs `fn` with the store of the call's tenant, held open until `fn` settles. */
  async use<R>(context: CallContext | undefined, fn: (store: T) => Promise<R>): Promise<R> {
    const entry = this.acquire(this.tenantOf(context));
    entry.users++;
    try {
      return await fn(await entry.store);
    } finally {
      entry.users--;
      this.evictIdle();
    }
  }

  /** A scope for a service's method table: each call reaches `pick` of its tenant's store. */
  scope<A>(pick: (store: T) => A): ApiScope<A> {
    return (context, use) => this.use(context, (store) => use(pick(store)));
  }

  /** Opens every pinned tenant now (start-up: the default store fails the start, not the first call). */
  async openPinned(): Promise<void> {
    await Promise.all([...this.pinned].map((name) => this.acquire(name).store));
  }

  private acquire(name: string): Entry<T> {
    if (this.closed) throw new MlmdError(Code.UNAVAILABLE, 'the server is shutting down');
    const found = this.open.get(name);
    if (found) {
      this.open.delete(name); // re-inserted last: most recently used
      this.open.set(name, found);
      return found;
    }
    const entry: Entry<T> = { store: this.options.open(name), users: 0 };
    // A store that failed to open is forgotten, so the next call tries again.
    entry.store.catch(() => {
      if (this.open.get(name) === entry) this.open.delete(name);
    });
    this.open.set(name, entry);
    this.evictIdle();
    return entry;
  }

  private evictIdle(): void {
    for (const [name, entry] of this.open) {
      if (this.open.size <= this.options.maxOpen) return;
      if (entry.users > 0 || this.pinned.has(name)) continue;
      this.open.delete(name);
      this.closeEntry(entry);
    }
  }

  private closeEntry(entry: Entry<T>): void {
    const done = entry.store.then(
      (store) => store.close(),
      () => undefined, // never opened: nothing to close
    );
    const tracked = done.catch((e: unknown) => this.options.onError?.(e)).finally(() => this.closing.delete(tracked));
    this.closing.add(tracked);
  }

  /** Closes every store (after the listeners have drained their calls); later calls are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.open.values()) this.closeEntry(entry);
    this.open.clear();
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }
}

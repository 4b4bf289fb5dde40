/**
 * The grpc-js server: binds, registers the hosted services, health and reflection, applies message limits and TLS,
 * and shuts down gracefully. It knows nothing about what an RPC means (that is the domain's job) and opens no
 * database (the CLI does and hands over a cleanup).
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { format } from 'node:util';
import { logger, type Logger } from '../logger';
import type { MlmdApi } from '../mlmd/api';
import type { AccessControl } from '../access/access-control';
import { guardService } from './access-guard';
import { grpcWebRoute, type MessageLimits } from './grpc-web';
import { startHttpListener, sendJson, type HttpListener, type HttpRoute } from './http';
import { observeService, type CallObserver } from './observe';
import { addReflection } from './reflection';
import { mlmdServiceRegistration, type ApiScope, type ServiceRegistration } from './services';
import { serverCredentials, type SslConfig } from './tls';
import { clipStatusDetails } from './status';

/**
 * Upstream keeps gRPC's 4 MiB receive limit, and large listings hit it (Kubeflow raises it to 100 MB). We default
 * both directions to 128 MiB; --max_message_bytes or explicit channel arguments override it.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** How long shutdown waits for in-flight calls before cancelling them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export interface ServerOptions {
  /** The MLMD domain every call reaches, or a scope giving each call its tenant's (tenants.ts). */
  api: MlmdApi | ApiScope<MlmdApi>;
  /** Further services to host next to MetadataStoreService (they also get health and reflection). */
  extraServices?: readonly ServiceRegistration[];
  /** 0 picks a free port; the handle reports the bound one. */
  port: number;
  /** Bind address; MLMD binds the IPv4 any address. */
  host?: string;
  /** MLMD's ssl_config; absent means plaintext. */
  tls?: SslConfig;
  /** Raw gRPC channel arguments (MLMD's --grpc_channel_arguments); they win over maxMessageBytes. */
  channelOptions?: grpc.ChannelOptions;
  /** Receive and send limit; -1 means unlimited. */
  maxMessageBytes?: number;
  shutdownGraceMs?: number;
  /** Runs once the server has stopped (e.g. closing the database). */
  onShutdown?: () => Promise<void>;
  /** Further health service names whose status their owner drives (e.g. `cmf.graph`, the Neo4j projection). */
  extraHealth?: readonly HealthReporter[];
  /**
   * The HTTP/1.1 listener on the same host; absent: none. 0 picks a free port. It always serves /healthz and gRPC-Web
   * for every hosted service, then `routes` (cmf-server API, UI). `corsAllowedOrigins`: origins whose pages may call
   * gRPC-Web (`*` any; default none, i.e. same-origin pages only).
   */
  http?: {
    port: number;
    routes: readonly (HttpRoute | ServiceRoute)[];
    onError?: (route: string, error: unknown) => void;
    corsAllowedOrigins?: readonly string[];
  };
  /** Told of every call of every hosted service, whatever its protocol, and of every HTTP exchange (metrics, logs). */
  observer?: CallObserver;
  /** Access control (identities, roles, tenants); absent: every method is open to anyone who reaches the port. */
  access?: AccessControl;
}

/**
 * An HTTP route that calls hosted methods (the cmf-server API's REST routes), built, as gRPC-Web is, over the hosted
 * services after observers wrapped them, so its calls are counted and logged like the same calls over gRPC.
 */
export type ServiceRoute = (services: readonly ServiceRegistration[]) => HttpRoute;

/** A health service name and a subscription through which its owner reports SERVING (true) or NOT_SERVING. */
export interface HealthReporter {
  name: string;
  subscribe(report: (serving: boolean) => void): void;
}

export interface ServerHandle {
  readonly host: string;
  readonly port: number;
  /** The HTTP listener's bound port, when there is one. */
  readonly httpPort?: number;
  readonly server: grpc.Server;
  /** Idempotent: NOT_SERVING, stop accepting, drain (bounded), force, then onShutdown. */
  shutdown(): Promise<void>;
}

export interface BuiltServer {
  server: grpc.Server;
  /**
   * Every hosted service (MLMD first), as registered with grpc-js; gRPC-Web serves the same list. Observed when an
   * observer is given: any protocol adapter calls these registrations' `methods`, so its calls are counted and
   * logged like gRPC's.
   */
  services: readonly ServiceRegistration[];
  limits: MessageLimits;
  health: HealthImplementation;
  /** Names whose health status the server publishes ("" is the whole server). */
  healthNames: string[];
  /** Set when shutdown begins: extra health reporters are ignored from then on. */
  stopping: boolean;
}

/** Builds a server with every service registered, not yet bound. */
/** The per-message limits grpc-js applies with these options (explicit channel arguments win), for gRPC-Web too. */
export function messageLimits(options: Pick<ServerOptions, 'maxMessageBytes' | 'channelOptions'>): MessageLimits {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const channel = (key: string): number | undefined => {
    const v = options.channelOptions?.[key];
    return typeof v === 'number' ? v : undefined;
  };
  return {
    receive: channel('grpc.max_receive_message_length') ?? max,
    send: channel('grpc.max_send_message_length') ?? max,
  };
}

export function createServer(options: Omit<ServerOptions, 'port' | 'host' | 'tls' | 'onShutdown'>): BuiltServer {
  const limits = messageLimits(options);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.receive,
    'grpc.max_send_message_length': limits.send,
    ...options.channelOptions,
    interceptors: [clipStatusDetails],
  });
  const { observer, access } = options;
  // Guarded inside, observed outside: refusals are counted and logged like any other outcome.
  const services = [mlmdServiceRegistration(options.api), ...(options.extraServices ?? [])]
    .map((s) => (access ? guardService(s, access) : s))
    .map((s) => (observer ? observeService(s, observer) : s));
  for (const s of services) server.addService(s.definition, s.implementation);

  const healthNames = ['', ...services.map((s) => s.name), ...(options.extraHealth ?? []).map((h) => h.name)];
  const initial: ServingStatusMap = {};
  for (const name of healthNames) initial[name] = 'SERVING';
  const health = new HealthImplementation(initial);
  const built: BuiltServer = { server, services, limits, health, healthNames, stopping: false };
  for (const h of options.extraHealth ?? []) {
    // Once shutdown has begun every name stays NOT_SERVING.
    h.subscribe((serving) => {
      if (!built.stopping) health.setStatus(h.name, serving ? 'SERVING' : 'NOT_SERVING');
    });
  }
  health.addToServer(server);

  // Reflection describes every compiled .proto (our services, health and the well-known types).
  addReflection(server, access);
  return built;
}

/**
 * grpc-js writes its own diagnostics to the console (`E ...` lines); they go to our log instead, as JSON. A failed
 * bind is left out: startServer reports it as a ListenError, in one line that names the flag to change.
 */
export function sendGrpcLogsTo(log: Logger): void {
  const line = (args: unknown[]): string => format(...args);
  grpc.setLogger({
    error: (...args: unknown[]) => {
      const text = line(args);
      if (!text.startsWith('No address added')) log.warn({ component: 'grpc-js' }, text);
    },
    info: (...args: unknown[]) => log.info({ component: 'grpc-js' }, line(args)),
    debug: (...args: unknown[]) => log.debug({ component: 'grpc-js' }, line(args)),
  });
}

/** A listener could not bind its address (typically: the port is in use). */
export class ListenError extends Error {
  constructor(
    /** `gRPC`, `HTTP`, `metrics`. */
    readonly listener: string,
    readonly address: string,
    reason: string,
  ) {
    super(`cannot listen for ${listener} on ${address}: ${reason}`);
    this.name = 'ListenError';
  }
}

/** grpc-js reports a failed bind as "No address added out of total 1 resolved errors: [listen EADDRINUSE: ...]". */
function bindFailure(error: Error): string {
  const inner = /\[(.*)\]\s*$/.exec(error.message)?.[1] ?? error.message;
  return inner.replace(/^listen\s+/, '');
}

/** A host:port string grpc-js accepts; IPv6 literals need brackets. */
export function bindAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  const host = options.host ?? '0.0.0.0';
  const credentials = serverCredentials(options.tls);
  const built = createServer(options);
  const { server, health, healthNames } = built;
  const port = await new Promise<number>((resolve, reject) => {
    const address = bindAddress(host, options.port);
    server.bindAsync(address, credentials, (error, bound) =>
      error ? reject(new ListenError('gRPC', address, bindFailure(error))) : resolve(bound),
    );
  });
  const graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  let httpListener: HttpListener | undefined;
  if (options.http) {
    try {
      httpListener = await startHttpListener({
        host,
        port: options.http.port,
        tls: options.tls,
        routes: [
          healthzRoute(built),
          grpcWebRoute({
            services: built.services,
            limits: built.limits,
            cors: { allowedOrigins: options.http.corsAllowedOrigins ?? [] },
          }),
          ...options.http.routes.map((r) => (typeof r === 'function' ? r(built.services) : r)),
        ],
        onError: options.http.onError,
        onExchange: options.observer?.httpExchange?.bind(options.observer),
      });
    } catch (e) {
      server.forceShutdown();
      throw new ListenError(
        'HTTP',
        bindAddress(host, options.http.port),
        (e as Error).message.replace(/^listen\s+/, ''),
      );
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    built.stopping = true;
    for (const name of healthNames) health.setStatus(name, 'NOT_SERVING');
    const httpClosed = httpListener?.close(graceMs);
    await new Promise<void>((resolve) => {
      // tryShutdown refuses new calls and waits for running ones; health Watch streams and slow clients could
      // hold it open for ever, so the wait is bounded and then the remaining calls are cancelled.
      const timer = setTimeout(() => {
        logger().warn(`calls still running ${graceMs} ms after shutdown began were cancelled`);
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await httpClosed;
    await options.onShutdown?.();
  };

  return {
    host,
    port,
    httpPort: httpListener?.port,
    server,
    shutdown: () => (stopping ??= stop()),
  };
}

/** `GET /healthz`: the HTTP counterpart of gRPC health for probes that speak HTTP only (200 serving, 503 stopping). */
function healthzRoute(built: BuiltServer): HttpRoute {
  return {
    name: 'healthz',
    matches: (req, url) => url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD'),
    handle: async (_req, res) => {
      sendJson(res, built.stopping ? 503 : 200, { status: built.stopping ? 'NOT_SERVING' : 'SERVING' });
    },
  };
}

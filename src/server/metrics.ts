/**
 * Prometheus metrics (prom-client), served on a port of their own (--metrics_port) at `/metrics`:
 *
 *   cmf_mlmd_rpc_requests_total{service,method,code,protocol}     calls answered, by gRPC status name
 *   cmf_mlmd_rpc_duration_seconds{service,method,code,protocol}   latency histogram (method entry to outcome)
 *   cmf_mlmd_rpc_in_flight{service,method}                        calls running now
 *   cmf_mlmd_http_requests_total{route,status}                    HTTP listener requests (health, UI, ...)
 *   cmf_mlmd_http_request_duration_seconds{route}
 *   cmf_mlmd_transaction_retries_total{backend,reason}            transactions re-run after a transient failure
 *   cmf_mlmd_db_pool_connections{backend,state}                   pooled connections: open, idle, max
 *   cmf_mlmd_db_pool_waiting{backend}                             transactions waiting for a connection
 *   cmf_mlmd_graph_outbox_rows / _lag_seconds / _failures         the Neo4j projection's backlog (when it is on)
 *   cmf_mlmd_build_info{version,node}                             1
 *   process_* and nodejs_*                                        prom-client's default process metrics
 *
 * One instance observes calls (a CallObserver, wrapped once around the registrations' method table, so gRPC-Web
 * and REST calls count like gRPC's) and the store (a StorageObserver: storage/ reports through it without knowing
 * prom-client). Each instance has its own registry, so servers in one process (tests) do not mix their figures.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PACKAGE_VERSION } from '../package-info';
import type { Dialect, PoolStats, RetryReason, StorageObserver } from '../storage/database';
import { startHttpListener, type HttpExchange, type HttpListener } from './http';
import type { CallEnd, CallObserver, CallStart } from './observe';
import { bindAddress, ListenError } from './server';
import { statusName } from './status';

/** From 0.5 ms (a cached read) to 10 s: most of our calls take about a millisecond. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the Neo4j projection reports (its worker's status), read when metrics are collected. */
export interface GraphBacklog {
  /** Committed write transactions not yet in Neo4j. */
  rows: number;
  oldestAgeMs: number;
  /** Consecutive failed attempts of the current batch. */
  failures: number;
}

interface CallSeries {
  requests: Counter.Internal;
  duration: Histogram.Internal<string>;
}

export class Metrics implements CallObserver, StorageObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly duration: Histogram<string>;
  private readonly inFlight: Gauge<string>;
  private readonly httpRequests: Counter<string>;
  private readonly httpDuration: Histogram<string>;
  private readonly retries: Counter<string>;
  /** Label lookups cost more than the increments; a call's series are found once per label combination. */
  private readonly series = new Map<string, CallSeries>();
  private readonly inFlightSeries = new Map<string, Gauge.Internal<string>>();
  private readonly pools = new Set<{ backend: Dialect; stats: () => PoolStats }>();
  private graph?: () => GraphBacklog;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'cmf_mlmd_build_info',
      help: 'The running cmf-mlmd version (value 1)',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: PACKAGE_VERSION, node: process.version }, 1);
    this.requests = new Counter({
      name: 'cmf_mlmd_rpc_requests_total',
      help: 'RPCs answered, by service, method, gRPC status and protocol',
      labelNames: ['service', 'method', 'code', 'protocol'],
      registers,
    });
    this.duration = new Histogram({
      name: 'cmf_mlmd_rpc_duration_seconds',
      help: 'RPC latency in the server, from the method being called to its outcome',
      labelNames: ['service', 'method', 'code', 'protocol'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.inFlight = new Gauge({
      name: 'cmf_mlmd_rpc_in_flight',
      help: 'RPCs running now',
      labelNames: ['service', 'method'],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'cmf_mlmd_http_requests_total',
      help: 'Requests answered by the HTTP listener, by route and HTTP status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'cmf_mlmd_http_request_duration_seconds',
      help: 'HTTP request latency, by route',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'cmf_mlmd_transaction_retries_total',
      help: 'Transactions rolled back after a transient failure and run again, by reason',
      labelNames: ['backend', 'reason'],
      registers,
    });
    const pools = this.pools;
    new Gauge({
      name: 'cmf_mlmd_db_pool_connections',
      help: 'Database connections of the pool: open (busy or idle), idle, and the configured max',
      labelNames: ['backend', 'state'],
      registers,
      collect() {
        this.reset();
        for (const p of pools) {
          const s = p.stats();
          this.inc({ backend: p.backend, state: 'open' }, s.open);
          this.inc({ backend: p.backend, state: 'idle' }, s.idle);
          this.inc({ backend: p.backend, state: 'max' }, s.max);
        }
      },
    });
    new Gauge({
      name: 'cmf_mlmd_db_pool_waiting',
      help: 'Transactions waiting for a pooled connection',
      labelNames: ['backend'],
      registers,
      collect() {
        this.reset();
        for (const p of pools) this.inc({ backend: p.backend }, p.stats().waiting);
      },
    });
    const graph = (): GraphBacklog | undefined => this.graph?.();
    const graphGauge = (name: string, help: string, value: (g: GraphBacklog) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const g = graph();
          if (g) this.set(value(g));
        },
      });
    graphGauge(
      'cmf_mlmd_graph_outbox_rows',
      'Changes committed to the store and not yet projected to Neo4j',
      (g) => g.rows,
    );
    graphGauge(
      'cmf_mlmd_graph_outbox_lag_seconds',
      'Age of the oldest change not yet projected to Neo4j (0 when caught up)',
      (g) => g.oldestAgeMs / 1000,
    );
    graphGauge(
      'cmf_mlmd_graph_failures',
      'Consecutive failed attempts to write the current batch to Neo4j',
      (g) => g.failures,
    );
  }

  callStarted(call: CallStart): (end: CallEnd) => void {
    const key = `${call.service}/${call.method}`;
    let gauge = this.inFlightSeries.get(key);
    if (gauge === undefined) {
      gauge = this.inFlight.labels(call.service, call.method);
      this.inFlightSeries.set(key, gauge);
    }
    gauge.inc();
    const protocol = call.context?.protocol ?? 'direct';
    return (end) => {
      gauge.dec();
      const series = this.seriesFor(call, end.code, protocol);
      series.requests.inc();
      series.duration.observe(end.seconds);
    };
  }

  private seriesFor(call: CallStart, code: number, protocol: string): CallSeries {
    const key = `${call.service}/${call.method}/${code}/${protocol}`;
    let s = this.series.get(key);
    if (s === undefined) {
      const labels = [call.service, call.method, statusName(code), protocol];
      s = { requests: this.requests.labels(...labels), duration: this.duration.labels(...labels) };
      this.series.set(key, s);
    }
    return s;
  }

  httpExchange(e: HttpExchange): void {
    this.httpRequests.inc({ route: e.route, status: String(e.status) });
    this.httpDuration.observe({ route: e.route }, e.seconds);
  }

  transactionRetried(backend: Dialect, reason: RetryReason): void {
    this.retries.inc({ backend, reason });
  }

  poolOpened(backend: Dialect, stats: () => PoolStats): () => void {
    const entry = { backend, stats };
    this.pools.add(entry);
    return () => this.pools.delete(entry);
  }

  /** Publishes the Neo4j projection's backlog, read from `status` whenever metrics are collected. */
  watchGraph(status: () => GraphBacklog): void {
    this.graph = status;
  }

  /** The text exposition format Prometheus scrapes. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Serves `GET /metrics` (plain HTTP) on host:port; 0 picks a free port. */
  async serve(host: string, port: number): Promise<HttpListener> {
    try {
      return await startHttpListener({
        host,
        port,
        routes: [
          {
            name: 'metrics',
            matches: (req, url) => url.pathname === '/metrics' && (req.method === 'GET' || req.method === 'HEAD'),
            handle: async (_req, res) => {
              const { contentType, body } = await this.exposition();
              res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
              res.end(body);
            },
          },
        ],
      });
    } catch (e) {
      throw new ListenError('metrics', bindAddress(host, port), (e as Error).message.replace(/^listen\s+/, ''));
    }
  }
}

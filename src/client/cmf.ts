/**
 * The CMF SDK: cmflib's `Cmf` API in TypeScript, talking to cmf.v1.CmfService. It does the client-side half of
 * cmflib — content hashes as DVC 3 computes them, the DVC remote URL of each object, git details, the environment
 * file, the Parquet files of step metrics and dataslices — and the server records everything exactly as cmflib
 * would, each call in one transaction.
 *
 * Differences from cmflib, on purpose: no hidden `dvc add` / `git add` / `git commit` / `git checkout -B` (the SDK
 * only reads git: `git remote -v`, `git rev-parse HEAD`); `finalize()` records the HEAD at that moment instead of
 * committing; an event other than "input"/"output" is an error; a missing file is an error (cmflib logs and returns
 * None). Paths are relative to `root` (cmflib's directory of the MLMD file), which the SDK never chdirs into.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Artifact, Context, Execution, Value } from '../../generated/ml_metadata/proto/metadata_store';
import { pyListRepr, PyFloat, pyRepr } from '../python-text';
import { CmfClient, type CmfClientOptions } from './cmf-client';
import { readParquetRows, writeDataslice, writeStepMetrics, type Row } from './cmf-parquet';
import { dvcDefaultRemote, dvcHash, dvcRemoteUrl, md5File, md5Text } from './hashing';

export { PyFloat };

/** A property value as cmflib accepts it: numbers, strings, booleans, null, bigints, PyFloat, lists / dicts. */
export type PropertyValue =
  string | number | bigint | boolean | null | undefined | PyFloat | unknown[] | Record<string, unknown>;
export type Properties = Record<string, PropertyValue>;

/** cmflib's generic conversion (value_to_mlmd_value): ints and bools -> int, floats -> double, None -> empty. */
export function toValue(x: PropertyValue): Value {
  if (x === null || x === undefined) return {};
  if (typeof x === 'boolean') return { value: { $case: 'intValue', value: x ? 1n : 0n } };
  if (typeof x === 'bigint') return { value: { $case: 'intValue', value: x } };
  if (x instanceof PyFloat) return { value: { $case: 'doubleValue', value: x.value } };
  if (typeof x === 'number') {
    return Number.isSafeInteger(x)
      ? { value: { $case: 'intValue', value: BigInt(x) } }
      : { value: { $case: 'doubleValue', value: x } };
  }
  if (typeof x === 'string') return { value: { $case: 'stringValue', value: x } };
  return { value: { $case: 'stringValue', value: pyRepr(x) } };
}

export function toValues(props: Properties | undefined): { [k: string]: Value } {
  const out: { [k: string]: Value } = {};
  for (const [k, v] of Object.entries(props ?? {})) out[k] = toValue(v);
  return out;
}

export interface CmfOptions extends CmfClientOptions {
  /** host:port of the server, or an existing client (shared, not closed by this object). */
  address?: string;
  client?: CmfClient;
  /** Default: the basename of `root`. */
  pipelineName?: string;
  pipelineProperties?: Properties;
  /** The directory artifact paths are relative to (cmflib: the directory holding the MLMD file). Default: cwd. */
  root?: string;
  /** git details; default: read from `root` with `git remote -v` / `git rev-parse HEAD` ("" when not a repo). */
  gitRepo?: string;
  gitCommit?: () => string;
  /** DVC remote root; default: the default remote of `root/.dvc/config`. */
  dvcRemote?: string;
  /**
   * The lines of the environment file (cmflib: `pip freeze`), logged as an `Environment` input of every execution
   * at cmf_artifacts/python_env_<md5>.txt. Default: the Node.js runtime. `false`: no environment artifact.
   */
  environment?: string[] | false;
  /** Name used for automatic stages/executions (cmflib: the script's basename). Default: from process.argv[1]. */
  scriptName?: string;
  /** The recorded command when createExecution gets none (cmflib: str(sys.argv)). */
  command?: string;
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** cmflib's git_repo: the second token of `git remote -v` (the URL of the first remote listed). */
export function gitRepoOf(root: string): string {
  return git(root, ['remote', '-v']).split(/\s+/)[1] ?? '';
}

export class Cmf {
  static readonly ARTIFACTS_PATH = 'cmf_artifacts';
  readonly client: CmfClient;
  readonly root: string;
  readonly pipelineName: string;
  pipeline?: Context;
  stage?: Context;
  execution?: Execution;
  private readonly ownsClient: boolean;
  private readonly options: CmfOptions;
  private readonly remote: string;
  private metrics = new Map<string, Row[]>();

  private constructor(options: CmfOptions) {
    this.options = options;
    this.root = path.resolve(options.root ?? process.cwd());
    this.pipelineName = options.pipelineName ?? path.basename(this.root);
    if (options.client) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      if (!options.address) throw new Error('Cmf needs an address or a client');
      this.client = new CmfClient(options.address, options);
      this.ownsClient = true;
    }
    this.remote = options.dvcRemote ?? dvcDefaultRemote(this.root) ?? '';
  }

  /** Connects and gets or creates the pipeline (cmflib's constructor). */
  static async create(options: CmfOptions): Promise<Cmf> {
    const cmf = new Cmf(options);
    try {
      cmf.pipeline = (
        await cmf.client.createPipeline({
          pipelineName: cmf.pipelineName,
          customProperties: toValues(options.pipelineProperties),
        })
      ).pipeline;
    } catch (e) {
      cmf.close();
      throw e;
    }
    return cmf;
  }

  close(): void {
    if (this.ownsClient) this.client.close();
  }

  private get gitRepo(): string {
    return this.options.gitRepo ?? gitRepoOf(this.root);
  }

  private gitHead(): string {
    return this.options.gitCommit ? this.options.gitCommit() : git(this.root, ['rev-parse', 'HEAD']);
  }

  private get scriptName(): string {
    if (this.options.scriptName) return this.options.scriptName;
    const script = process.argv[1] ?? 'cmf';
    return path.basename(script, path.extname(script));
  }

  private abs(p: string): string {
    return path.resolve(this.root, p);
  }

  /** Hash + remote URL of a path relative to root; a missing path is an error. */
  private async track(p: string): Promise<{ path: string; hash: string; remoteUrl: string }> {
    const hash = await dvcHash(this.abs(p));
    return { path: p, hash, remoteUrl: this.remote ? dvcRemoteUrl(this.remote, hash) : '' };
  }

  // ---------------------------------------------------------------- stages and executions

  async createContext(pipelineStage: string, customProperties?: Properties): Promise<Context> {
    const r = await this.client.createStage({
      pipelineName: this.pipelineName,
      stageName: pipelineStage,
      customProperties: toValues(customProperties),
    });
    this.stage = r.stage;
    return r.stage!;
  }

  /** The environment file (created when missing), as cmflib names it: python_env_<md5 of the list repr>.txt. */
  private async environmentFile(): Promise<string | undefined> {
    if (this.options.environment === false) return undefined;
    const lines = this.options.environment ?? [
      `node==${process.versions.node}`,
      `platform==${process.platform}-${process.arch}`,
    ];
    const md5 = md5Text(`${pyListRepr(lines)}\n`);
    const rel = `${Cmf.ARTIFACTS_PATH}/python_env_${md5}.txt`;
    const file = this.abs(rel);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    }
    return rel;
  }

  async createExecution(
    executionType: string,
    customProperties?: Properties,
    options: { cmd?: string; createNewExecution?: boolean } = {},
  ): Promise<Execution> {
    if (!this.stage) await this.createContext(this.scriptName);
    this.metrics = new Map();
    const env = await this.environmentFile();
    const stageShort = this.stage!.name!.slice(this.pipelineName.length + 1);
    const r = await this.client.createExecution({
      pipelineName: this.pipelineName,
      stageName: stageShort,
      executionType,
      customProperties: toValues(customProperties),
      cmd: options.cmd ?? this.options.command ?? pyListRepr(process.argv.slice(1)),
      reuseExisting: options.createNewExecution === false,
      gitRepo: this.gitRepo,
      gitStartCommit: this.gitHead(),
      environment: env ? await this.track(env) : undefined,
    });
    this.execution = r.execution;
    this.stage = r.stage;
    return r.execution!;
  }

  async updateExecution(executionId: bigint, customProperties?: Properties): Promise<Execution> {
    const r = await this.client.updateExecution({ executionId, customProperties: toValues(customProperties) });
    this.execution = r.execution;
    return r.execution!;
  }

  /** Records the current git HEAD as Git_End_Commit (cmflib also commits; the SDK does not write to git). */
  async finalize(): Promise<Execution | undefined> {
    if (!this.execution) return undefined;
    const r = await this.client.finalizeExecution({ executionId: this.execution.id, gitEndCommit: this.gitHead() });
    this.execution = r.execution;
    return r.execution;
  }

  private async current(): Promise<Execution> {
    if (!this.execution) await this.createExecution(this.scriptName);
    return this.execution!;
  }

  // ---------------------------------------------------------------- artifacts

  async logDataset(
    url: string,
    event: 'input' | 'output' | string,
    customProperties?: Properties,
    options: { label?: string; labelProperties?: Properties } = {},
  ): Promise<Artifact> {
    const execution = await this.current();
    const file = await this.track(url);
    const label = options.label
      ? {
          path: options.label,
          md5: await this.labelMd5(options.label),
          customProperties: toValues(options.labelProperties),
        }
      : undefined;
    const r = await this.client.logDataset({
      executionId: execution.id,
      file,
      event,
      customProperties: toValues(customProperties),
      gitRepo: this.gitRepo,
      label,
    });
    return r.artifact!;
  }

  private async labelMd5(p: string): Promise<string> {
    const st = fs.statSync(this.abs(p), { throwIfNoEntry: false });
    if (!st?.isFile()) throw new Error(`label file ${p} not found`);
    return md5File(this.abs(p));
  }

  async logLabel(url: string, datasetPath: string, customProperties?: Properties): Promise<Artifact> {
    const execution = this.execution;
    if (!execution) throw new Error('logLabel needs a current execution (call createExecution first)');
    const md5 = await this.labelMd5(url);
    const datasetHash = await dvcHash(this.abs(datasetPath));
    const r = await this.client.logLabel({
      executionId: execution.id,
      label: { path: url, md5, customProperties: toValues(customProperties) },
      datasetHash,
      gitRepo: this.gitRepo,
    });
    return r.artifact!;
  }

  async logModel(
    modelPath: string,
    event: 'input' | 'output' | string,
    options: { modelFramework?: string; modelType?: string; modelName?: string; customProperties?: Properties } = {},
  ): Promise<Artifact> {
    const execution = await this.current();
    const r = await this.client.logModel({
      executionId: execution.id,
      file: await this.track(modelPath),
      event,
      modelFramework: options.modelFramework ?? 'Default',
      modelType: options.modelType ?? 'Default',
      modelName: options.modelName ?? 'Default',
      customProperties: toValues(options.customProperties),
    });
    return r.artifact!;
  }

  async logPythonEnv(envPath: string): Promise<Artifact> {
    if (!this.execution) throw new Error('logPythonEnv needs a current execution');
    const r = await this.client.logPythonEnv({
      executionId: this.execution.id,
      file: await this.track(envPath),
      gitRepo: this.gitRepo,
    });
    return r.artifact!;
  }

  async logExecutionMetrics(metricsName: string, customProperties?: Properties): Promise<Artifact> {
    const execution = await this.current();
    const r = await this.client.logExecutionMetrics({
      executionId: execution.id,
      metricsName,
      customProperties: toValues(customProperties),
    });
    return r.artifact!;
  }

  /** Buffers one step of fine-grained metrics (sequence numbers from 1); nothing is written until commitMetrics. */
  logMetric(metricsName: string, values: Row): void {
    if (!this.metrics.has(metricsName)) this.metrics.set(metricsName, []);
    this.metrics.get(metricsName)!.push({ ...values });
  }

  /** Writes the buffered steps to cmf_artifacts/<execution uuid>/metrics/<name> (Parquet) and logs Step_Metrics. */
  async commitMetrics(metricsName: string): Promise<Artifact> {
    const rows = this.metrics.get(metricsName);
    if (!rows) throw new Error(`no metrics logged under ${JSON.stringify(metricsName)}`);
    const execution = await this.current();
    const rel = `${Cmf.ARTIFACTS_PATH}/${firstUuid(execution)}/metrics/${metricsName}`;
    fs.mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
    await writeStepMetrics(this.abs(rel), rows);
    const r = await this.client.logStepMetrics({ executionId: execution.id, metricsName, file: await this.track(rel) });
    return r.artifact!;
  }

  createDataslice(name: string): DataSlice {
    return new DataSlice(this, name);
  }

  /** @internal used by DataSlice */
  async commitDataslice(name: string, rows: Map<string, Row>, customProperties?: Properties): Promise<Artifact> {
    const execution = await this.current();
    const rel = `${Cmf.ARTIFACTS_PATH}/${firstUuid(execution)}/dataslice/${name}`;
    fs.mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
    await writeDataslice(this.abs(rel), rows);
    const r = await this.client.logDataslice({
      executionId: execution.id,
      datasliceName: name,
      file: await this.track(rel),
      customProperties: toValues(customProperties),
      gitRepo: this.gitRepo,
    });
    return r.artifact!;
  }

  /** @internal */
  hashOf(p: string): Promise<string> {
    return dvcHash(this.abs(p));
  }

  /** The rows of a dataslice of the current execution (cmflib's read_dataslice), index column `Path` included. */
  readDataslice(name: string): Promise<Array<Record<string, unknown>>> {
    if (!this.execution) throw new Error('readDataslice needs a current execution');
    return readParquetRows(this.abs(`${Cmf.ARTIFACTS_PATH}/${firstUuid(this.execution)}/dataslice/${name}`));
  }

  /**
   * The steps of a Step_Metrics artifact given its full name (CmfQuery.get_metrics' intent: the Parquet file at the
   * name's path part, relative to root), index column `SequenceNumber` included.
   */
  async getMetrics(stepMetricsName: string): Promise<Array<Record<string, unknown>>> {
    const artifact = await this.getArtifact(stepMetricsName);
    if (artifact.type !== 'Step_Metrics') throw new Error(`${stepMetricsName} is a ${artifact.type}, not Step_Metrics`);
    return readParquetRows(this.abs(stepMetricsName.split(':')[0]));
  }

  // ---------------------------------------------------------------- queries (CmfQuery)

  private async all<T, R extends { nextPageToken?: string }>(
    fetch: (pageToken: string) => Promise<R>,
    items: (r: R) => T[],
  ): Promise<T[]> {
    const out: T[] = [];
    let token = '';
    do {
      const r = await fetch(token);
      out.push(...items(r));
      token = r.nextPageToken ?? '';
    } while (token !== '');
    return out;
  }

  async getPipelineNames(): Promise<string[]> {
    return (await this.client.getPipelineNames({})).names;
  }

  async getPipelineStages(pipelineName = this.pipelineName): Promise<string[]> {
    return (await this.client.getPipelineStages({ pipelineName })).stageNames;
  }

  getAllExecutionsInStage(stageName: string): Promise<Execution[]> {
    return this.all(
      (pageToken) => this.client.getExecutionsInStage({ stageName, page: { pageSize: 1000, pageToken } }),
      (r) => r.executions,
    );
  }

  getAllArtifactsForExecution(executionId: bigint): Promise<Array<{ artifact?: Artifact; event?: string }>> {
    return this.all(
      (pageToken) => this.client.getArtifactsOfExecution({ executionId, page: { pageSize: 1000, pageToken } }),
      (r) => r.artifacts,
    );
  }

  getAllExecutionsForArtifact(artifactName: string) {
    return this.all(
      (pageToken) => this.client.getExecutionsOfArtifact({ artifactName, page: { pageSize: 1000, pageToken } }),
      (r) => r.executions,
    );
  }

  async getArtifact(artifactName: string): Promise<Artifact> {
    return (await this.client.getArtifactByName({ artifactName })).artifact!;
  }

  private lineage(
    method: 'getParentArtifacts' | 'getChildArtifacts',
    artifactName: string,
    transitive: boolean,
    pipelineId?: bigint,
  ) {
    return this.all(
      (pageToken) => this.client[method]({ artifactName, transitive, pipelineId, page: { pageSize: 1000, pageToken } }),
      (r) => r.artifacts,
    );
  }

  getOneHopChildArtifacts(artifactName: string, pipelineId?: bigint) {
    return this.lineage('getChildArtifacts', artifactName, false, pipelineId);
  }
  getAllChildArtifacts(artifactName: string) {
    return this.lineage('getChildArtifacts', artifactName, true);
  }
  getOneHopParentArtifacts(artifactName: string) {
    return this.lineage('getParentArtifacts', artifactName, false);
  }
  getAllParentArtifacts(artifactName: string) {
    return this.lineage('getParentArtifacts', artifactName, true);
  }
  async getProducerExecutions(artifactName: string): Promise<Execution[]> {
    return (await this.client.getParentExecutions({ artifactName })).executions;
  }
  async getAllParentExecutions(artifactName: string): Promise<Execution[]> {
    return (await this.client.getParentExecutions({ artifactName, transitive: true })).executions;
  }
  async getConsumerExecutions(artifactName: string, transitive = false): Promise<Execution[]> {
    return (await this.client.getChildExecutions({ artifactName, transitive })).executions;
  }
  async dumpToJson(pipelineName = this.pipelineName, execUuid?: string): Promise<string> {
    return (await this.client.dumpToJson({ pipelineName, execUuid })).json!;
  }

  /**
   * `cmf metadata push` without the CLI: merges an interchange document (dumptojson's JSON, e.g. of another store)
   * into this server with cmf-server's rules. `pipelineName` picks one pipeline of the document (default: this
   * one's; `null`: every pipeline in it); `execUuid` only that execution. Answers cmf-server's status word.
   */
  async pushMetadata(
    json: string,
    options: { pipelineName?: string | null; execUuid?: string } = {},
  ): Promise<{ status: string; executionsAdded: bigint; artifactsAdded: bigint; eventsAdded: bigint }> {
    const pipelineName = options.pipelineName === null ? undefined : (options.pipelineName ?? this.pipelineName);
    const r = await this.client.mergeMetadata({ json, pipelineName, execUuid: options.execUuid });
    return {
      status: r.status!,
      executionsAdded: r.executionsAdded ?? 0n,
      artifactsAdded: r.artifactsAdded ?? 0n,
      eventsAdded: r.eventsAdded ?? 0n,
    };
  }

  /** `cmf metadata pull`'s document: every pipeline changed since `sinceMillis` (0: everything), as a peer pulls. */
  async exportMetadata(sinceMillis = 0n): Promise<string> {
    return (await this.client.exportMetadata({ sinceMillis })).json!;
  }
}

function firstUuid(execution: Execution): string {
  const v = execution.properties?.Execution_uuid?.value;
  return v?.$case === 'stringValue' ? v.value.split(',')[0] : '';
}

/**
 * A set of files (each with its content hash and optional columns), committed as a Parquet dataslice:
 * `cmf.createDataslice('slice-a').addData('data/raw/1.xml').addData('data/raw/2.xml', { label: 1 }).commit()`.
 * Hashes are taken at commit time.
 */
export class DataSlice {
  private readonly rows = new Map<string, Row>();
  constructor(
    private readonly cmf: Cmf,
    readonly name: string,
  ) {}

  /** Adds a file (path relative to the Cmf root) with custom columns. */
  addData(p: string, customProperties?: Row): this {
    this.rows.set(p, { ...customProperties });
    return this;
  }

  async commit(customProperties?: Properties): Promise<Artifact> {
    const rows = new Map<string, Row>();
    for (const [p, extra] of this.rows) rows.set(p, { hash: await this.cmf.hashOf(p), ...extra });
    return this.cmf.commitDataslice(this.name, rows, customProperties);
  }
}

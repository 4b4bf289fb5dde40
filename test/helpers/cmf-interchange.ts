/**
 * cmflib interchange documents (CmfQuery.dumptojson's format, what `cmf metadata push` sends) built in code, for
 * the merge tests and the push benchmark: a chain of executions over a few stages, each reading the previous
 * execution's dataset and the shared environment file and writing a dataset, a model and a metrics artifact, with
 * the record fields cmflib exports (ids and times of the "client" store, properties, custom properties).
 */
import { createHash, randomUUID } from 'node:crypto';

export interface PipelineSpec {
  pipeline: string;
  executions: number;
  stages?: number;
  /** Make every execution also write a dataslice, a step-metrics file and a label (the full artifact palette). */
  allTypes?: boolean;
  /** Client-side create time of the first record (ms); later records count up from it. */
  startMillis?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The document and, for assertions, the uuid of each execution in order. */
export function pipelineDocument(spec: PipelineSpec): { json: string; uuids: string[]; doc: { Pipeline: Json[] } } {
  const stageCount = spec.stages ?? 3;
  const p = spec.pipeline;
  let time = spec.startMillis ?? 1_700_000_000_000;
  let id = 0;
  const next = () => ++id;
  const tick = () => time++;
  const remote = (hash: string) => `${p}:/remote/files/md5/${hash.slice(0, 2)}/${hash.slice(2)}`;
  const node = (fields: { [key: string]: Json }): { [key: string]: Json } => {
    const t = tick();
    return { create_time_since_epoch: t, ...fields, id: next(), last_update_time_since_epoch: t };
  };
  const artifact = (type: string, name: string, uri: string, properties: Json, custom: Json = {}): Json => ({
    type,
    ...node({ custom_properties: custom, name, properties }),
    type_id: 10,
    uri,
  });
  const envHash = md5(`${p}-env`);
  const env = artifact('Environment', `cmf_artifacts/python_env_${md5('pkgs')}.txt:${envHash}`, envHash, {
    Commit: envHash,
    git_repo: 'https://example.com/repo.git',
    url: remote(envHash),
  });
  const rawHash = `${md5(`${p}-raw`)}.dir`;
  let input = artifact(
    'Dataset',
    `data/raw:${rawHash}`,
    rawHash,
    {
      Commit: rawHash,
      git_repo: 'https://example.com/repo.git',
      url: remote(rawHash),
    },
    { source: 'web', weight: 1.5 },
  );
  const stages = Array.from({ length: stageCount }, (_, s) => ({
    executions: [] as Json[],
    name: `${p}/stage-${s}`,
    ...node({
      custom_properties: { owner: `team-${s}` },
      name: `${p}/stage-${s}`,
      properties: { Pipeline_Stage: `${p}/stage-${s}` },
    }),
    type: 'Pipeline_Stage',
    type_id: 2,
  }));
  const uuids: string[] = [];
  for (let i = 0; i < spec.executions; i++) {
    const stage = stages[i % stageCount];
    const stageName = stage.name as string;
    const uuid = randomUUID();
    uuids.push(uuid);
    const xid = id + 1;
    const dataHash = md5(`${p}-data-${i}`);
    const modelHash = md5(`${p}-model-${i}`);
    const metricsUuid = randomUUID();
    const output = artifact(
      'Dataset',
      `data/part-${i}.csv:${dataHash}`,
      dataHash,
      {
        Commit: dataHash,
        git_repo: 'https://example.com/repo.git',
        url: remote(dataHash),
      },
      { rows: i },
    );
    const events: Json[] = [
      { type: 3, artifact: env },
      { type: 3, artifact: input },
      { type: 4, artifact: output },
      {
        type: 4,
        artifact: artifact(
          'Model',
          `models/m-${i}.pkl:${modelHash}:${xid}`,
          modelHash,
          {
            Commit: modelHash,
            model_framework: 'sklearn',
            model_name: 'rf',
            model_type: 'RandomForest',
            url: remote(modelHash),
          },
          { depth: 4 },
        ),
      },
      {
        type: 4,
        artifact: artifact(
          'Metrics',
          `metrics:${metricsUuid}:${xid}`,
          metricsUuid,
          { metrics_name: `metrics:${metricsUuid}:${xid}` },
          {
            auc: 0.5 + (i % 50) / 100,
            step: i,
          },
        ),
      },
    ];
    if (spec.allTypes) {
      const sliceHash = md5(`${p}-slice-${i}`);
      const stepHash = md5(`${p}-step-${i}`);
      const labelHash = md5(`${p}-label-${i}`);
      events.push(
        {
          type: 4,
          artifact: artifact(
            'Dataslice',
            `cmf_artifacts/${uuid}/dataslice/slice-${i}:${sliceHash}`,
            sliceHash,
            {
              Commit: sliceHash,
              git_repo: 'https://example.com/repo.git',
              url: remote(sliceHash),
            },
            { purpose: 'bias' },
          ),
        },
        {
          type: 4,
          artifact: artifact(
            'Step_Metrics',
            `cmf_artifacts/${uuid}/metrics/train:${stepHash}:${xid}:${randomUUID()}`,
            stepHash,
            {
              Commit: stepHash,
              url: remote(stepHash),
            },
          ),
        },
        {
          type: 3,
          artifact: artifact(
            'Label',
            `data/labels-${i}.csv:${labelHash}`,
            labelHash,
            {
              Commit: labelHash,
              git_repo: 'https://example.com/repo.git',
              url: `data/labels-${i}.csv:${labelHash}`,
            },
            { dataset_uri: dataHash },
          ),
        },
      );
    }
    stage.executions.push({
      type: i % 2 === 0 ? 'Train' : 'Evaluate',
      name: '',
      events,
      ...node({
        custom_properties: { Python_Env: `cmf_artifacts/python_env_${md5('pkgs')}.txt`, lr: '0.01', epochs: 3 },
        properties: {
          Context_ID: 2,
          Context_Type: stageName,
          Execution: `['step.py', '${i}']`,
          Execution_type_name: stageName,
          Execution_uuid: uuid,
          Git_End_Commit: '',
          Git_Repo: 'https://example.com/repo.git',
          Git_Start_Commit: md5(`commit-${i}`).slice(0, 40),
          Pipeline_Type: p,
          Pipeline_id: 1,
        },
      }),
      type_id: 20,
    });
    input = output;
  }
  const pipeline = {
    stages,
    ...node({ custom_properties: {}, name: p, properties: { Pipeline: p } }),
    type: 'Parent_Context',
    type_id: 1,
  } as Json;
  const doc = { Pipeline: [pipeline] };
  return { json: JSON.stringify(doc), uuids, doc };
}

/**
 * A document normalised for comparing two stores' exports: ids, type ids and times dropped, executions keyed by
 * uuid, events sorted, and the server's own execution ids in artifact names (`path:hash:<id>`, Metrics
 * `name:uuid:<id>`) replaced by "#". With `withoutPushTime`, the custom property original_create_time_since_epoch
 * is dropped too: a merge sets it to the create time of the record it receives, which after a hop through another
 * server (a sync, a re-push of a pull) is that server's time.
 */
export function normalised(json: string, withoutPushTime = false): unknown {
  const doc = JSON.parse(json) as { Pipeline: Array<Record<string, unknown>> };
  const strip = (o: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (['id', 'type_id', 'create_time_since_epoch', 'last_update_time_since_epoch'].includes(k)) continue;
      if (k === 'custom_properties' && withoutPushTime) {
        const { original_create_time_since_epoch: _dropped, ...rest } = v as Record<string, unknown>;
        out[k] = rest;
        continue;
      }
      out[k] = v;
    }
    return out;
  };
  const artifactName = (type: string, name: string) =>
    type === 'Model' || type === 'Metrics' ? name.replace(/:[0-9]+$/, ':#') : name;
  const props = (o: Record<string, unknown>) => {
    const p = { ...(o.properties as Record<string, unknown>) };
    for (const k of ['Context_ID', 'Pipeline_id']) if (k in p) p[k] = '#';
    if (typeof p.metrics_name === 'string') p.metrics_name = p.metrics_name.replace(/:[0-9]+$/, ':#');
    return p;
  };
  return Object.fromEntries(
    doc.Pipeline.map((p) => [
      p.name,
      {
        ...strip(p),
        stages: Object.fromEntries(
          (p.stages as Array<Record<string, unknown>>).map((s) => [
            s.name,
            {
              ...strip(s),
              executions: Object.fromEntries(
                (s.executions as Array<Record<string, unknown>>).map((x) => [
                  (x.properties as Record<string, string>).Execution_uuid,
                  {
                    ...strip(x),
                    properties: props(x),
                    events: (x.events as Array<{ type: number; artifact: Record<string, unknown> }>)
                      .map((e) =>
                        stableStringify({
                          type: e.type,
                          artifact: {
                            ...strip(e.artifact),
                            name: artifactName(e.artifact.type as string, e.artifact.name as string),
                            properties: props(e.artifact),
                          },
                        }),
                      )
                      .sort(),
                  },
                ]),
              ),
            },
          ]),
        ),
      },
    ]),
  );
}

/** JSON with object keys sorted at every level (two exporters' key orders differ). */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

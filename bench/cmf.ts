/**
 * Issue 4 benchmark: the CMF SDK against our server (server in its own process, real gRPC, fresh SQLite file).
 *
 *   logging   executions/s and artifacts/s: each execution is createExecution (with its Environment input) +
 *             logDataset (1 dataset in, the same file every time: a reuse link) + logModel (1 new model out)
 *   hashing   MB/s of the SDK's streaming DVC hash (md5) of one 1 GB file, next to `md5sum` on the same file
 *
 * Calls are sequential (one outstanding request), as one pipeline step logs. --quick: 40 executions, 64 MB.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Cmf } from '../src/client';
import { md5File } from '../src/client/hashing';
import { BENCH_DIR, type BenchOptions, log, nowMs, startServerProcess, table } from './lib';

async function logging(
  executions: number,
): Promise<{ execPerS: number; artifactsPerS: number; msPerExec: number; msFirst: number; msLast: number }> {
  const dir = fs.mkdtempSync(path.join(BENCH_DIR, 'cmf-'));
  const server = await startServerProcess(path.join(dir, 'mlmd'));
  try {
    const root = path.join(dir, 'project');
    fs.mkdirSync(path.join(root, 'data'), { recursive: true });
    fs.mkdirSync(path.join(root, 'models'), { recursive: true });
    fs.writeFileSync(path.join(root, 'data', 'train.csv'), 'x,y\n'.repeat(1000));
    for (let i = 0; i < executions + 5; i++) fs.writeFileSync(path.join(root, 'models', `m${i}.bin`), `model ${i}\n`);
    const cmf = await Cmf.create({
      address: server.address,
      root,
      pipelineName: 'bench',
      gitRepo: 'https://example.com/bench.git',
      gitCommit: () => '0'.repeat(40),
      dvcRemote: '/remote',
      environment: ['numpy==2.0.0', 'pandas==2.2.0'],
      command: "['bench']",
      deadlineMs: 60_000,
    });
    try {
      await cmf.createContext('train');
      const one = async (i: number) => {
        await cmf.createExecution('Train', { lr: 0.01, epoch: i });
        await cmf.logDataset('data/train.csv', 'input');
        await cmf.logModel(`models/m${i}.bin`, 'output', { modelFramework: 'bench' });
      };
      for (let i = 0; i < 5; i++) await one(executions + i); // warm-up
      const t0 = nowMs();
      const tenth = Math.max(1, Math.floor(executions / 10));
      let firstTenth = 0;
      let lastTenthStart = 0;
      for (let i = 0; i < executions; i++) {
        if (i === executions - tenth) lastTenthStart = nowMs();
        await one(i);
        if (i === tenth - 1) firstTenth = nowMs() - t0;
      }
      const end = nowMs();
      const s = (end - t0) / 1000;
      return {
        execPerS: executions / s,
        artifactsPerS: (2 * executions) / s,
        msPerExec: (s * 1000) / executions,
        msFirst: firstTenth / tenth,
        msLast: (end - lastTenthStart) / tenth,
      };
    } finally {
      cmf.close();
    }
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function hashing(megabytes: number): Promise<{ ours: number; md5sum: number; same: boolean }> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const file = path.join(BENCH_DIR, `cmf-hash-${process.pid}.bin`);
  try {
    const chunk = randomBytes(1024 * 1024);
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < megabytes; i++) {
      chunk[0] = i & 0xff; // not one repeated block
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);
    spawnSync('md5sum', [file]); // warm the page cache for both
    let t0 = nowMs();
    const ours = await md5File(file);
    const oursS = (nowMs() - t0) / 1000;
    t0 = nowMs();
    const r = spawnSync('md5sum', [file], { encoding: 'utf8' });
    const md5sumS = (nowMs() - t0) / 1000;
    const theirs = r.status === 0 ? r.stdout.split(/\s+/)[0] : '';
    return { ours: megabytes / oursS, md5sum: theirs ? megabytes / md5sumS : NaN, same: ours === theirs };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export async function runCmf(o: BenchOptions): Promise<string> {
  const executions = o.quick ? 40 : 400;
  const megabytes = o.quick ? 64 : 1024;
  log(`cmf: logging ${executions} executions (1 dataset in, 1 model out each) through the SDK`);
  const l = await logging(executions);
  log(`cmf: hashing a ${megabytes} MB file (SDK streaming md5 vs md5sum)`);
  const h = await hashing(megabytes);
  return (
    table(
      `CMF SDK -> our server (${executions} executions, sequential)`,
      ['measure', 'value'],
      [
        ['executions/s', l.execPerS],
        ['artifacts/s (dataset + model)', l.artifactsPerS],
        ['ms per execution (3 RPCs)', l.msPerExec],
        ['  first 10% of executions', l.msFirst],
        ['  last 10% of executions', l.msLast],
      ],
    ) +
    table(
      `Content hashing, ${megabytes} MB file (page cache warm)`,
      ['hasher', 'MB/s'],
      [
        ['SDK md5File (4 MiB reads into one buffer)', h.ours],
        ['md5sum', h.md5sum],
        [`same digest: ${h.same ? 'yes' : 'NO'}`, ''],
      ],
    )
  );
}

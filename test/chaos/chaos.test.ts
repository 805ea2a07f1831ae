// The chaos suite (`npm run test:chaos`): the built engine as real processes, faults by real signals
// and by services that go away, each scenario holding one of the README's Operations guarantees, and a
// soak of small jobs at mixed JobLevel while a worker is killed at intervals. Every scenario counts
// what a user would count (jobs submitted, ended Success, lost, outputs and callbacks per job, API
// answers 5xx other than 503, the time to recover after each fault) and the run ends with one table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster, concatBody, ffmpegUnder, makeClips, sleep, type EngineProcess } from './cluster.js';

/** WORKER_LOCK_SECONDS + WORKER_STALLED_CHECK_SECONDS of the suite's workers, and the slack allowed on top. */
const LOCK_S = 4;
const STALLED_S = 2;
const SLACK_MS = 5_000;
const RECOVERY_BOUND_MS = (LOCK_S + STALLED_S) * 1000 + SLACK_MS;
/** Soak size (CHAOS_SOAK_JOBS=500 runs the 500). 300 by default: measured 1.0 to 1.2 jobs/s with the
 * kills on 2 shared cores, where 400 already took the suite to 8 min 20 s, past its 8 minute budget. */
const SOAK_JOBS = Number(process.env.CHAOS_SOAK_JOBS ?? 300);
const SOAK_KILL_EVERY_MS = 10_000;

interface Figures {
  scenario: string;
  submitted: number;
  success: number;
  lost: number;
  dupOutputs: number;
  dupCallbacks: number;
  bad5xx: number;
  /** Time to recover after each fault, in ms. */
  recoveryMs: number[];
  boundMs: number;
}
const table: Figures[] = [];

let work: string;
let clips: { short: string; long: string };
/** Clusters of the running scenario, closed after it whatever its outcome. */
const clusters: Cluster[] = [];

async function newCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const c = new Cluster(inject('s3Endpoint'), env);
  await c.start();
  await c.put('sd/short.mp4', clips.short);
  await c.put('sd/long.mp4', clips.long);
  clusters.push(c);
  return c;
}

/** Submitted jobs' end: how many Success, lost (never ended, or Success without its output), duplicated outputs and callbacks. */
async function tally(c: Cluster, jobIds: string[], prefix: string) {
  const states = await c.waitEnded(jobIds, 100_000);
  const outputs = await c.outputsByJob(prefix);
  // Callbacks follow the job's end within a retry or two.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && jobIds.some((id) => c.receiver.countFor(id) === 0)) await sleep(100);
  await sleep(1_000);
  const success = jobIds.filter((id) => states.get(id) === 'Success').length;
  return {
    states,
    outputs,
    success,
    lost: jobIds.filter((id) => states.get(id) !== 'Success' || (outputs.get(id) ?? 0) === 0).length,
    dupOutputs: jobIds.filter((id) => (outputs.get(id) ?? 0) > 1).length,
    dupCallbacks: jobIds.filter((id) => c.receiver.countFor(id) > 1).length,
    missingCallbacks: jobIds.filter((id) => c.receiver.countFor(id) === 0).length,
  };
}

async function waitFfmpeg(dir: string): Promise<void> {
  for (let i = 0; i < 600 && ffmpegUnder(dir).length === 0; i++) await sleep(50);
  expect(ffmpegUnder(dir).length).toBeGreaterThan(0);
}

function startedAfter(c: Cluster, jobId: string, afterMs: number, notBy?: EngineProcess): number | undefined {
  return c
    .workerLines()
    .filter((l) => l.jobId === jobId && l.msg === 'job started' && l.time >= afterMs && !notBy?.lines.includes(l))
    .map((l) => l.time)
    .sort((a, b) => a - b)[0];
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'ci-chaos-clips-'));
  clips = await makeClips(work);
}, 60_000);

afterEach(async () => {
  for (const c of clusters.splice(0)) await c.close();
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  const rows = table.map((f) => ({
    scenario: f.scenario,
    submitted: f.submitted,
    Success: f.success,
    lost: f.lost,
    'dup outputs': f.dupOutputs,
    'dup callbacks': f.dupCallbacks,
    '5xx not 503': f.bad5xx,
    'recovery s': f.recoveryMs.length === 0 ? '-' : f.recoveryMs.map((ms) => (ms / 1000).toFixed(1)).join(' '),
    'bound s': (f.boundMs / 1000).toFixed(1),
  }));
  const cols = Object.keys(rows[0] ?? {});
  const width = (k: string) => Math.max(k.length, ...rows.map((r) => String(r[k as keyof typeof r]).length));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(width(cols[i]!))).join(' | ');
  console.info(['chaos figures', line(cols), ...rows.map((r) => line(cols.map((k) => String(r[k as keyof typeof r]))))].join('\n'));
});

describe('chaos', () => {
  it('worker SIGKILL mid-encode: the job runs again within lock + stalled check, ends Success, one output, one callback', async () => {
    const c = await newCluster();
    await c.startApi();
    const a = await c.startWorker('a');
    const { jobId } = await c.submit(concatBody({ fragment: 'sd/long.mp4', out: 'kill', callback: c.receiver.url, encode: true }));
    expect(jobId).toBeDefined();
    await waitFfmpeg(a.dataDir);
    await c.startWorker('b');
    const killedAt = Date.now();
    expect((await a.stop('SIGKILL')).signal).toBe('SIGKILL');
    for (let i = 0; i < 400 && startedAfter(c, jobId!, killedAt) === undefined; i++) await sleep(50);
    const recovery = startedAfter(c, jobId!, killedAt)! - killedAt;
    const t = await tally(c, [jobId!], 'kill');
    table.push({
      scenario: 'worker SIGKILL mid-encode',
      submitted: 1,
      ...t,
      bad5xx: c.bad5xx,
      recoveryMs: [recovery],
      boundMs: RECOVERY_BOUND_MS,
    });
    expect(recovery).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(t.states.get(jobId!)).toBe('Success');
    expect(t.outputs.get(jobId!)).toBe(1);
    expect(c.receiver.countFor(jobId!)).toBe(1);
    expect(c.bad5xx).toBe(0);
    await c.close();
  }, 180_000);

  it('worker SIGTERM mid-encode: the job is handed back, taken up at once by the other worker, no ffmpeg left', async () => {
    // Locks far longer than the test: a job taken up at once was handed back, not found stalled.
    const c = await newCluster({ WORKER_LOCK_SECONDS: '120', WORKER_STALLED_CHECK_SECONDS: '120' });
    await c.startApi();
    const a = await c.startWorker('a');
    const { jobId } = await c.submit(concatBody({ fragment: 'sd/long.mp4', out: 'term', callback: c.receiver.url, encode: true }));
    await waitFfmpeg(a.dataDir);
    await c.startWorker('b');
    const stoppedAt = Date.now();
    const exit = await a.stop('SIGTERM');
    expect(exit.code).toBe(0);
    expect(ffmpegUnder(a.dataDir)).toEqual([]);
    expect(a.lines.find((l) => l.msg === 'worker stopped')).toMatchObject({ finished: 0, handedBack: 1 });
    for (let i = 0; i < 200 && startedAfter(c, jobId!, stoppedAt, a) === undefined; i++) await sleep(50);
    const recovery = startedAfter(c, jobId!, stoppedAt, a)! - stoppedAt;
    const t = await tally(c, [jobId!], 'term');
    table.push({ scenario: 'worker SIGTERM mid-encode', submitted: 1, ...t, bad5xx: c.bad5xx, recoveryMs: [recovery], boundMs: 3_000 });
    expect(recovery).toBeLessThanOrEqual(3_000);
    expect(t.states.get(jobId!)).toBe('Success');
    expect(t.outputs.get(jobId!)).toBe(1);
    expect(c.receiver.countFor(jobId!)).toBe(1);
    expect(c.bad5xx).toBe(0);
    await c.close();
  }, 180_000);

  it('Redis SIGKILL and restart with AOF while jobs wait: no job lost, the API answers 503 (never 500) meanwhile', async () => {
    const c = await newCluster();
    await c.startApi();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { jobId } = await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 'redis', callback: c.receiver.url }));
      ids.push(jobId!);
    }
    await c.killRedis();
    const during = new Map<number, number>();
    const outageEnd = Date.now() + 3_000;
    while (Date.now() < outageEnd) {
      for (const s of [
        (await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 'redis-refused' }))).status,
        (await c.request({ Method: 'GET', Key: `jobs/${ids[0]!}` })).status,
      ])
        during.set(s, (during.get(s) ?? 0) + 1);
    }
    const restartedAt = Date.now();
    await c.startRedis();
    let recovery = 0;
    for (let i = 0; i < 600; i++) {
      if ((await c.request({ Method: 'GET', Key: `jobs/${ids[0]!}` })).status === 200) {
        recovery = Date.now() - restartedAt;
        break;
      }
      await sleep(50);
    }
    await c.startWorker('a', { WORKER_CONCURRENCY: '2' });
    const t = await tally(c, ids, 'redis');
    table.push({
      scenario: 'Redis SIGKILL + AOF restart',
      submitted: ids.length,
      ...t,
      bad5xx: c.bad5xx,
      recoveryMs: [recovery],
      boundMs: 10_000,
    });
    expect([...during.keys()]).toEqual([503]);
    expect(recovery).toBeGreaterThan(0);
    expect(recovery).toBeLessThanOrEqual(10_000);
    expect(t.success).toBe(ids.length);
    expect(t.lost).toBe(0);
    expect(t.dupOutputs + t.dupCallbacks + t.missingCallbacks).toBe(0);
    expect(c.bad5xx).toBe(0);
    await c.close();
  }, 240_000);

  it('API restart (SIGTERM, start again) while clients submit: every accepted job runs', async () => {
    const c = await newCluster();
    await c.startApi();
    await c.startWorker('a', { WORKER_CONCURRENCY: '2' });
    const ids: string[] = [];
    let refused = 0;
    const run = { stop: false };
    const submitter = (async () => {
      while (!run.stop) {
        const r = await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 'api', callback: c.receiver.url }));
        if (r.jobId) ids.push(r.jobId);
        else refused++;
        // A client's pace, so the worker keeps up and the scenario stays about the API.
        await sleep(250);
      }
    })();
    let recovery: number;
    try {
      await sleep(2_000);
      const exit = await c.apis.at(-1)!.stop('SIGTERM');
      expect(exit.code).toBe(0);
      await sleep(500);
      const restartedAt = Date.now();
      await c.startApi();
      const before = ids.length;
      for (let i = 0; i < 1000 && ids.length === before; i++) await sleep(10);
      recovery = Date.now() - restartedAt;
      await sleep(2_000);
    } finally {
      run.stop = true;
      await submitter;
    }
    const t = await tally(c, ids, 'api');
    table.push({ scenario: 'API restart', submitted: ids.length, ...t, bad5xx: c.bad5xx, recoveryMs: [recovery], boundMs: 10_000 });
    expect(refused).toBeGreaterThan(0);
    expect(recovery).toBeLessThanOrEqual(10_000);
    expect(t.success).toBe(ids.length);
    expect(t.lost).toBe(0);
    expect(t.dupOutputs + t.dupCallbacks + t.missingCallbacks).toBe(0);
    expect(c.bad5xx).toBe(0);
    await c.close();
  }, 240_000);

  it('callback receiver down then up: each callback delivered once, at the next try of the retry schedule', async () => {
    const c = await newCluster();
    await c.startApi();
    await c.startWorker('a', { WORKER_CONCURRENCY: '2' });
    await c.receiver.down();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 'cb', callback: c.receiver.url }))).jobId!);
    // Every job ends while the receiver is down, so its first tries fail.
    expect([...(await c.waitEnded(ids)).values()]).toEqual(ids.map(() => 'Success'));
    await sleep(500);
    const upAt = Date.now();
    await c.receiver.up();
    const t = await tally(c, ids, 'cb');
    const lastAt = Math.max(...c.receiver.got.map((g) => g.at));
    // Base 200 ms, doubling: the longest gap between two of the 6 tries is 3.2 s.
    const bound = 3_200 + 1_000;
    table.push({
      scenario: 'callback receiver down/up',
      submitted: ids.length,
      ...t,
      bad5xx: c.bad5xx,
      recoveryMs: [lastAt - upAt],
      boundMs: bound,
    });
    expect(c.receiver.got.every((g) => g.at >= upAt)).toBe(true);
    expect(lastAt - upAt).toBeLessThanOrEqual(bound);
    expect(t.dupCallbacks + t.missingCallbacks).toBe(0);
    expect(c.bad5xx).toBe(0);
    await c.close();
  }, 120_000);

  it('S3 store down for a few seconds during jobs: they end Success after the retry, one output each', async () => {
    const c = await newCluster();
    await c.startApi();
    await c.startWorker('a', { WORKER_CONCURRENCY: '4' });
    c.proxy.setDown(true);
    const downAt = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 's3', callback: c.receiver.url }))).jobId!);
    await sleep(Math.max(0, downAt + 4_000 - Date.now()));
    c.proxy.setDown(false);
    const upAt = Date.now();
    const t = await tally(c, ids, 's3');
    const endedAt = Math.max(...ids.map((id) => c.receiver.got.find((g) => g.jobId === id)?.at ?? Infinity));
    table.push({
      scenario: 'S3 store down 4 s',
      submitted: ids.length,
      ...t,
      bad5xx: c.bad5xx,
      recoveryMs: [endedAt - upAt],
      boundMs: 30_000,
    });
    // The jobs were taken up while the store was down.
    expect(ids.every((id) => (startedAfter(c, id, 0) ?? Infinity) < upAt)).toBe(true);
    expect(t.success).toBe(ids.length);
    expect(t.lost + t.dupOutputs + t.dupCallbacks + t.missingCallbacks).toBe(0);
    expect(endedAt - upAt).toBeLessThanOrEqual(30_000);
    expect(c.bad5xx).toBe(0);
    await c.close();
  }, 120_000);

  it(`soak: ${SOAK_JOBS} small jobs at JobLevel 0/1/2 over two workers, one SIGKILLed and restarted every ${SOAK_KILL_EVERY_MS / 1000} s`, async () => {
    const c = await newCluster();
    await c.startApi();
    await c.startWorker('a', { WORKER_CONCURRENCY: '2' });
    await c.startWorker('b', { WORKER_CONCURRENCY: '2' });
    const started = Date.now();
    const ids: string[] = [];
    let next = 0;
    const submitOne = async (): Promise<void> => {
      while (next < SOAK_JOBS) {
        const i = next++;
        const r = await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 'soak', callback: c.receiver.url, jobLevel: i % 3 }));
        if (r.jobId) ids.push(r.jobId);
      }
    };
    const submitting = Promise.all(Array.from({ length: 8 }, submitOne));

    // The killer: SIGKILL worker a every 10 s and start it again, until every job has called back.
    const faults: { at: number; orphans: string[] }[] = [];
    const done = () => ids.length === SOAK_JOBS && ids.every((id) => c.receiver.countFor(id) > 0);
    const deadline = Date.now() + 360_000;
    let lastKill = Date.now();
    await submitting;
    while (!done() && Date.now() < deadline) {
      await sleep(200);
      if (Date.now() - lastKill < SOAK_KILL_EVERY_MS) continue;
      const a = c.workers.filter((w) => w.name === 'a').at(-1)!;
      const at = Date.now();
      await a.stop('SIGKILL');
      lastKill = at;
      const ended = new Set(a.lines.filter((l) => l.msg === 'job succeeded' || l.msg === 'job failed').map((l) => String(l.jobId)));
      const orphans = [...new Set(a.lines.filter((l) => l.msg === 'job started').map((l) => String(l.jobId)))].filter(
        (id) => !ended.has(id),
      );
      faults.push({ at, orphans });
      await c.startWorker('a', { WORKER_CONCURRENCY: '2' });
    }
    const elapsed = Date.now() - started;
    const t = await tally(c, ids, 'soak');
    // Recovery after each fault: until the last job the killed worker held was started again elsewhere.
    const recoveryMs = faults.map((f) =>
      f.orphans.length === 0 ? 0 : Math.max(...f.orphans.map((id) => (startedAfter(c, id, f.at) ?? Infinity) - f.at)),
    );
    table.push({
      scenario: `soak ${SOAK_JOBS} jobs, ${faults.length} kills`,
      submitted: ids.length,
      ...t,
      bad5xx: c.bad5xx,
      recoveryMs,
      boundMs: RECOVERY_BOUND_MS,
    });
    console.info(
      `soak: ${ids.length} jobs in ${(elapsed / 1000).toFixed(1)} s (${((ids.length * 1000) / elapsed).toFixed(1)} jobs/s), ` +
        `${faults.length} kills holding ${faults.map((f) => f.orphans.length).join('/')} jobs, answers ${JSON.stringify(Object.fromEntries(c.statuses))}`,
    );
    expect(ids.length).toBe(SOAK_JOBS);
    expect(faults.length).toBeGreaterThan(0);
    expect(t.success).toBe(SOAK_JOBS);
    expect(t.lost).toBe(0);
    expect(t.dupOutputs).toBe(0);
    expect(t.dupCallbacks).toBe(0);
    expect(t.missingCallbacks).toBe(0);
    expect(c.bad5xx).toBe(0);
    for (const ms of recoveryMs) expect(ms).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    await c.close();
  }, 480_000);
});

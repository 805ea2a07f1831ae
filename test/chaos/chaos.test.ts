// The chaos suite (`npm run test:chaos`): the built engine as real processes, faults by real signals
// and by services that go away, each scenario holding one of the README's Operations guarantees, and a
// soak of small jobs at mixed JobLevel while the workers are killed in turn at intervals. Every scenario
// counts what a user would count (jobs submitted, ended Success, lost, outputs and callbacks per job, API
// answers 5xx other than 503, the time to recover after each fault) and the run ends with one table.
//
// Duplicate callbacks are counted exactly, and the soak allows none: callbacks are posted by the API
// process, which the soak does not kill. The Sentinel scenario allows the one kind the README documents:
// a delivery whose record of the receiver's answer failed with Redis (a failover), sent again by the next
// try, which says so in its log; any other duplicate fails it.
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
/** Soak size (CHAOS_SOAK_JOBS overrides it) and the pace of its kills. */
const SOAK_JOBS = Number(process.env.CHAOS_SOAK_JOBS ?? 500);
const SOAK_KILL_EVERY_MS = 12_000;
/** Jobs each worker runs at once in the soak (and in the scenarios with a backlog): a tiny job mostly waits for
 * its ffprobe, ffmpeg and store round trips, so more of them at once keep the 2 cores busy. */
const BACKLOG_WORKER_ENV = { WORKER_CONCURRENCY: '6' };

interface Figures {
  scenario: string;
  submitted: number;
  success: number;
  lost: number;
  dupOutputs: number;
  dupCallbacks: number;
  /** Of those, callbacks a worker sent again after an earlier try's worker died during it (the documented window). */
  dupInWindow: number;
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

async function newCluster(env: Record<string, string> = {}, ha = false): Promise<Cluster> {
  const c = new Cluster(inject('s3Endpoint'), env, ha);
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
  const dupIds = jobIds.filter((id) => c.receiver.countFor(id) > 1);
  const resent = c.resentUnconfirmed();
  return {
    states,
    outputs,
    success,
    lost: jobIds.filter((id) => states.get(id) !== 'Success' || (outputs.get(id) ?? 0) === 0).length,
    dupOutputs: jobIds.filter((id) => (outputs.get(id) ?? 0) > 1).length,
    dupCallbacks: dupIds.reduce((n, id) => n + c.receiver.countFor(id) - 1, 0),
    dupInWindow: dupIds.filter((id) => resent.has(id)).reduce((n, id) => n + c.receiver.countFor(id) - 1, 0),
    /** Duplicates outside the documented window (a job's callback posted more than twice counts here too). */
    dupUnexplained: dupIds.filter((id) => !resent.has(id) || c.receiver.countFor(id) > 2).length,
    missingCallbacks: jobIds.filter((id) => c.receiver.countFor(id) === 0).length,
  };
}

/**
 * Puts a scenario's figures in the run's table and asserts what every scenario promises: each recovery within
 * its bound, and no answer 5xx other than 503.
 */
function record(c: Cluster, row: Omit<Figures, 'bad5xx'>): void {
  table.push({ ...row, bad5xx: c.bad5xx });
  for (const ms of row.recoveryMs) expect(ms).toBeLessThanOrEqual(row.boundMs);
  expect(c.bad5xx).toBe(0);
}

async function waitFfmpeg(dir: string): Promise<void> {
  for (let i = 0; i < 600 && ffmpegUnder(dir).length === 0; i++) await sleep(50);
  expect(ffmpegUnder(dir).length).toBeGreaterThan(0);
}

/** A worker's first words about a job it took up: it runs it, or it finds its end already recorded (its last worker
 * died between the record and telling the queue) and only makes sure of its callback. */
const TAKEN_UP = new Set(['job started', 'job ended already (its worker stopped before the queue knew): not run again']);

function startedAfter(c: Cluster, jobId: string, afterMs: number, notBy?: EngineProcess): number | undefined {
  return c
    .workerLines()
    .filter((l) => l.jobId === jobId && TAKEN_UP.has(l.msg) && l.time >= afterMs && !notBy?.lines.includes(l))
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
    'dup callbacks': f.dupInWindow > 0 ? `${f.dupCallbacks} (${f.dupInWindow} in window)` : f.dupCallbacks,
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
  it('worker SIGKILL mid-encode, twice: the job runs again within lock + stalled check each time, ends Success, one output, one callback', async () => {
    const c = await newCluster();
    await c.startApi();
    const a = await c.startWorker('a');
    const { jobId } = await c.submit(concatBody({ fragment: 'sd/long.mp4', out: 'kill', callback: c.receiver.url, encode: true }));
    expect(jobId).toBeDefined();
    await waitFfmpeg(a.dataDir);
    const b = await c.startWorker('b');
    const recoveryMs: number[] = [];
    /** Kills `victim` (running the job's ffmpeg) and times until another worker starts the job. */
    const killUnder = async (victim: EngineProcess): Promise<void> => {
      const killedAt = Date.now();
      expect((await victim.stop('SIGKILL')).signal).toBe('SIGKILL');
      for (let i = 0; i < 400 && startedAfter(c, jobId!, killedAt) === undefined; i++) await sleep(50);
      recoveryMs.push(startedAfter(c, jobId!, killedAt)! - killedAt);
    };
    await killUnder(a);
    // The job's second worker dies under it too (a second, independent crash): it must still run to the end.
    await waitFfmpeg(b.dataDir);
    await c.startWorker('a');
    await killUnder(b);
    const t = await tally(c, [jobId!], 'kill');
    record(c, { scenario: 'worker SIGKILL mid-encode x2', submitted: 1, ...t, recoveryMs, boundMs: RECOVERY_BOUND_MS });
    expect(t.states.get(jobId!)).toBe('Success');
    expect(t.outputs.get(jobId!)).toBe(1);
    expect(c.receiver.countFor(jobId!)).toBe(1);
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
    record(c, { scenario: 'worker SIGTERM mid-encode', submitted: 1, ...t, recoveryMs: [recovery], boundMs: 3_000 });
    expect(t.states.get(jobId!)).toBe('Success');
    expect(t.outputs.get(jobId!)).toBe(1);
    expect(c.receiver.countFor(jobId!)).toBe(1);
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
    await c.startWorker('a', BACKLOG_WORKER_ENV);
    const t = await tally(c, ids, 'redis');
    record(c, {
      scenario: 'Redis SIGKILL + AOF restart',
      submitted: ids.length,
      ...t,
      recoveryMs: [recovery],
      boundMs: 10_000,
    });
    expect([...during.keys()]).toEqual([503]);
    expect(recovery).toBeGreaterThan(0);
    expect(t.success).toBe(ids.length);
    expect(t.lost).toBe(0);
    expect(t.dupOutputs + t.dupCallbacks + t.missingCallbacks).toBe(0);
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
    record(c, { scenario: 'API restart', submitted: ids.length, ...t, recoveryMs: [recovery], boundMs: 10_000 });
    expect(refused).toBeGreaterThan(0);
    expect(t.success).toBe(ids.length);
    expect(t.lost).toBe(0);
    expect(t.dupOutputs + t.dupCallbacks + t.missingCallbacks).toBe(0);
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
    record(c, {
      scenario: 'callback receiver down/up',
      submitted: ids.length,
      ...t,
      recoveryMs: [lastAt - upAt],
      boundMs: bound,
    });
    expect(c.receiver.got.every((g) => g.at >= upAt)).toBe(true);
    expect(t.dupCallbacks + t.missingCallbacks).toBe(0);
  }, 120_000);

  it('S3 store down for a few seconds during jobs: they end Success after the retry, one output each', async () => {
    const c = await newCluster();
    await c.startApi();
    // The copy path (the suite's default is the encode path): its fetches and upload meet the outage too.
    await c.startWorker('a', { WORKER_CONCURRENCY: '4', AUTO_COPY: 'true' });
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
    record(c, {
      scenario: 'S3 store down 4 s',
      submitted: ids.length,
      ...t,
      recoveryMs: [endedAt - upAt],
      boundMs: 30_000,
    });
    // The jobs were taken up while the store was down.
    expect(ids.every((id) => (startedAfter(c, id, 0) ?? Infinity) < upAt)).toBe(true);
    expect(t.success).toBe(ids.length);
    expect(t.lost + t.dupOutputs + t.dupCallbacks + t.missingCallbacks).toBe(0);
  }, 120_000);

  it('Sentinel failover (primary SIGKILL) under a backlog: no job or record lost, 503 only for the failover window, never 500', async () => {
    const c = await newCluster({}, true);
    await c.startApi();
    await c.startWorker('a', BACKLOG_WORKER_ENV);
    await c.startWorker('b', BACKLOG_WORKER_ENV);
    const ids: string[] = [];
    const answers503: number[] = [];
    /** Submits as a client does: a 503 (or no answer) is tried again after 100 ms. */
    const submit = async (): Promise<void> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await c.submit(concatBody({ fragment: 'sd/short.mp4', out: 'ha', callback: c.receiver.url }));
        if (r.jobId) {
          ids.push(r.jobId);
          return;
        }
        if (r.status === 503) answers503.push(Date.now());
        if (Date.now() > deadline) throw new Error(`the API answered ${r.status} for 60 s`);
        await sleep(100);
      }
    };
    for (let i = 0; i < 12; i++) await submit();
    expect(await c.ha!.primaryPort()).toBe(c.ha!.primary.port);
    const killedAt = Date.now();
    c.ha!.killPrimary();
    let recovery = 0;
    for (let i = 0; i < 12; i++) {
      await submit();
      if (i === 0) recovery = Date.now() - killedAt;
      await sleep(100);
    }
    expect(await c.ha!.primaryPort()).toBe(c.ha!.replica.port);
    const t = await tally(c, ids, 'ha');
    const window = answers503.length === 0 ? 0 : Math.max(...answers503) - Math.min(...answers503);
    record(c, { scenario: 'Sentinel failover', submitted: ids.length, ...t, recoveryMs: [recovery], boundMs: 20_000 });
    console.info(
      `sentinel failover: 503 x${answers503.length} over ${(window / 1000).toFixed(1)} s, answers ${JSON.stringify(Object.fromEntries(c.statuses))}`,
    );
    expect(ids).toHaveLength(24);
    expect(window).toBeLessThanOrEqual(20_000);
    expect(t.success).toBe(ids.length);
    expect(t.lost + t.dupOutputs + t.missingCallbacks).toBe(0);
    expect(t.dupUnexplained).toBe(0);
  }, 240_000);

  it(`soak: ${SOAK_JOBS} small jobs at JobLevel 0/1/2 over two workers, SIGKILLed in turn and restarted every ${SOAK_KILL_EVERY_MS / 1000} s`, async () => {
    // The store straight, not through the suite's switchable proxy: the soak needs no storage outage.
    const c = await newCluster({ S3_ENDPOINT: inject('s3Endpoint') });
    await c.startApi();
    const env = BACKLOG_WORKER_ENV;
    await c.startWorker('a', env);
    await c.startWorker('b', env);
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

    // The killer: every few seconds SIGKILL one worker and start it again, a then b then a, until every job
    // has called back. In turn, so no worker is killed again just after its start: a job dies under its
    // worker at most a couple of times, as in a real crash, not in a crash loop of the suite's making.
    const faults: { at: number; victim: string; orphans: string[] }[] = [];
    const done = () => ids.length === SOAK_JOBS && ids.every((id) => c.receiver.countFor(id) > 0);
    const deadline = Date.now() + 480_000;
    let lastKill = Date.now();
    await submitting;
    while (!done() && Date.now() < deadline) {
      await sleep(200);
      if (Date.now() - lastKill < SOAK_KILL_EVERY_MS) continue;
      const name = faults.length % 2 === 0 ? 'a' : 'b';
      const victim = c.workers.filter((w) => w.name === name).at(-1)!;
      const at = Date.now();
      await victim.stop('SIGKILL');
      lastKill = at;
      const ended = new Set(victim.lines.filter((l) => l.msg === 'job succeeded' || l.msg === 'job failed').map((l) => String(l.jobId)));
      const orphans = [...new Set(victim.lines.filter((l) => l.msg === 'job started').map((l) => String(l.jobId)))].filter(
        (id) => !ended.has(id),
      );
      faults.push({ at, victim: name, orphans });
      await c.startWorker(name, env);
    }
    const elapsed = Date.now() - started;
    const t = await tally(c, ids, 'soak');
    // Recovery after each fault: until the last job the killed worker held was started again elsewhere.
    const recoveryMs = faults.map((f) =>
      f.orphans.length === 0 ? 0 : Math.max(...f.orphans.map((id) => (startedAfter(c, id, f.at) ?? Infinity) - f.at)),
    );
    // How many times each job's worker died under it.
    const deaths = new Map<string, number>();
    for (const f of faults) for (const id of f.orphans) deaths.set(id, (deaths.get(id) ?? 0) + 1);
    record(c, {
      scenario: `soak ${SOAK_JOBS} jobs, ${faults.length} kills`,
      submitted: ids.length,
      ...t,
      recoveryMs,
      boundMs: RECOVERY_BOUND_MS,
    });
    console.info(
      `soak: ${ids.length} jobs in ${(elapsed / 1000).toFixed(1)} s (${((ids.length * 1000) / elapsed).toFixed(2)} jobs/s), ` +
        `${faults.length} kills holding ${faults.map((f) => f.orphans.length).join('/')} jobs, ` +
        `most deaths under one job ${Math.max(0, ...deaths.values())}, answers ${JSON.stringify(Object.fromEntries(c.statuses))}`,
    );
    expect(ids.length).toBe(SOAK_JOBS);
    expect(faults.length).toBeGreaterThan(1);
    expect(faults.some((f) => f.orphans.length > 0)).toBe(true);
    expect(t.success).toBe(SOAK_JOBS);
    expect(t.lost).toBe(0);
    expect(t.dupOutputs).toBe(0);
    expect(t.dupCallbacks).toBe(0);
    expect(t.missingCallbacks).toBe(0);
    // Killed in turn, a job dies under a worker at most a few times (each time a different process), far from
    // the 5 deaths after which a job ends Failed as interrupted repeatedly.
    expect(Math.max(0, ...deaths.values())).toBeLessThanOrEqual(3);
  }, 600_000);
});

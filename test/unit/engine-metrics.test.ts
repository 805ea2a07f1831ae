// The registry on its own: queue depth is read at each scrape from the source it is given, and a scrape
// is still served, without queue depth, when that source fails or does not answer (Redis down or hung).
import { describe, expect, it } from 'vitest';
import { EngineMetrics, type QueueDepth } from '../../src/metrics/engine-metrics.js';
import { JOB_STATES, type JobState } from '../../src/domain/job.js';
import { parseExposition, sampleValue } from '../helpers/prom-text.js';

const counts = (n: number): Record<JobState, number> =>
  Object.fromEntries(JOB_STATES.map((s, i) => [s, n + i])) as Record<JobState, number>;

async function scrape(m: EngineMetrics) {
  const { contentType, body } = await m.scrape();
  expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(body);
}

describe('EngineMetrics', () => {
  it('reads queue depth at each scrape: new counts replace the old, a queue gone loses its series', async () => {
    const m = new EngineMetrics();
    let depth: QueueDepth = [
      { queueId: 'p1', counts: counts(0) },
      { queueId: 'p2', counts: counts(10) },
    ];
    m.readQueueDepthFrom(() => Promise.resolve(depth));
    let f = await scrape(m);
    expect(f.get('ci_queue_jobs')!.samples).toHaveLength(12);
    expect(sampleValue(f, 'ci_queue_jobs', { queue: 'p2', state: 'Running' })).toBe(11);
    depth = [{ queueId: 'p1', counts: counts(5) }];
    f = await scrape(m);
    expect(f.get('ci_queue_jobs')!.samples.map((s) => s.labels.queue)).toEqual(Array(6).fill('p1'));
    expect(sampleValue(f, 'ci_queue_jobs', { queue: 'p1', state: 'Submitted' })).toBe(5);
  });

  it('serves the rest of the scrape, without queue depth, when the job store fails', async () => {
    const m = new EngineMetrics();
    m.readQueueDepthFrom(() => Promise.reject(new Error('Connection is closed.')));
    const f = await scrape(m);
    expect(f.get('ci_queue_jobs')!.samples).toEqual([]);
    expect(f.get('ci_process_cpu_seconds_total')!.samples.length).toBeGreaterThan(0);
  });

  it('does not wait more than about 2 s for a job store that does not answer', async () => {
    const m = new EngineMetrics();
    m.readQueueDepthFrom(() => new Promise<QueueDepth>(() => undefined));
    const t0 = Date.now();
    const f = await scrape(m);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(f.get('ci_queue_jobs')!.samples).toEqual([]);
  });
});

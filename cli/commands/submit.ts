// `ci-concat submit job.xml [--wait]`: POSTs the file's XML to /jobs and prints the JobId. With --wait it
// then follows the job (GET /jobs/<id>) with a progress bar fed by its Progress until it ends: Success
// prints the output's key, duration and size; Failed or Cancel exits non-zero with the Code and Message.
import { readFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { CiClient } from '../ci-client.js';
import { JobFailed, UsageError } from '../errors.js';
import { jobView, outputLines, type JobView } from '../job-view.js';
import type { Printer } from '../output.js';
import { at, list, parseXml, text } from '../xml.js';

const ENDED = new Set(['Success', 'Failed', 'Cancel']);

/** The job file's text, and the bucket and region its Output names (the Host's defaults for submit). */
export function readJobFile(file: string): { xml: string; outputBucket?: string; outputRegion?: string } {
  let xml: string;
  try {
    xml = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  // A file that does not parse is still sent: the engine's answer names what is wrong with it.
  let tree: unknown;
  try {
    tree = parseXml(xml);
  } catch {
    return { xml };
  }
  const bucket = text(tree, 'Request', 'Operation', 'Output', 'Bucket');
  const region = text(tree, 'Request', 'Operation', 'Output', 'Region');
  return { xml, outputBucket: bucket || undefined, outputRegion: region || undefined };
}

export async function submit(client: CiClient, xml: string): Promise<string> {
  const answer = await client.call({ method: 'POST', path: '/jobs', body: xml });
  const jobId = text(answer.body, 'Response', 'JobsDetail', 'JobId');
  if (jobId === '') throw new Error('the engine answered the submit without a JobId');
  return jobId;
}

export async function describe(client: CiClient, jobId: string): Promise<JobView | undefined> {
  const answer = await client.call({ method: 'GET', path: `/jobs/${jobId}` });
  const detail = list(at(answer.body, 'Response', 'JobsDetail'))[0];
  return detail === undefined ? undefined : jobView(detail);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls the job every `intervalMs` until it ends. On a terminal the bar shows its Progress and state;
 * elsewhere (a pipe, a log) each new state is one line on stderr.
 */
export async function waitForJob(client: CiClient, jobId: string, bucket: string, printer: Printer, intervalMs: number): Promise<JobView> {
  const tty = process.stderr.isTTY && !printer.json;
  const bar = tty
    ? new SingleBar({
        format: '{bar} {percentage}% | {state} | {duration_formatted}',
        barCompleteChar: '\u2588',
        barIncompleteChar: '\u2591',
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stderr,
      })
    : undefined;
  let lastState = '';
  bar?.start(100, 0, { state: 'Submitted' });
  // Ctrl-C stops the waiting, not the job: give the terminal its cursor back and say how to look again.
  const interrupted = () => {
    bar?.stop();
    process.stderr.write(`\nstopped waiting; the job goes on: ci-concat job ${jobId} --bucket ${bucket}\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    for (;;) {
      const job = await describe(client, jobId);
      if (job === undefined) throw new JobFailed(jobId, 'Missing', 'NoSuchJob', `job ${jobId} is no longer known to the engine`);
      const progress = job.state === 'Success' ? 100 : (job.progress ?? 0);
      bar?.update(progress, { state: job.state });
      if (!tty && job.state !== lastState) printer.note(`${jobId}: ${job.state}`);
      lastState = job.state;
      if (ENDED.has(job.state)) return job;
      await sleep(intervalMs);
    }
  } finally {
    process.off('SIGINT', interrupted);
    bar?.stop();
  }
}

/** What a finished job prints, or the failure it is. */
export function reportEnd(job: JobView, printer: Printer): void {
  if (job.state === 'Success') {
    printer.result([`${job.jobId}: Success`, ...(job.output ? outputLines(job.output) : [])], job);
    return;
  }
  if (printer.json) printer.result([], job);
  const code = job.state === 'Cancel' ? 'Cancelled' : job.code;
  const message = job.state === 'Cancel' ? `job ${job.jobId} was cancelled` : job.message;
  throw new JobFailed(job.jobId, job.state, code, message);
}

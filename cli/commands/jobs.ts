// `ci-concat jobs`, `job ID` and `cancel ID`: list the bucket's Concat jobs (GET /jobs?tag=Concat…),
// describe one (GET /jobs/<id>) and cancel one that has not started (PUT /jobs/<id>?cancel),
// docs/ci-api.md 3.
import type { CiClient } from '../ci-client.js';
import { NotFound } from '../errors.js';
import { jobLines, jobView, formatBytes } from '../job-view.js';
import { table, type Printer } from '../output.js';
import { at, list, text } from '../xml.js';
import { describe } from './submit.js';

export interface ListOptions {
  /** Comma list of states, or All (the API's `states`). */
  state?: string;
  queue?: string;
  size?: string;
  nextToken?: string;
}

export async function listJobs(client: CiClient, opts: ListOptions, printer: Printer): Promise<void> {
  const query: [string, string][] = [['tag', 'Concat']];
  if (opts.state !== undefined) query.push(['states', opts.state]);
  if (opts.queue !== undefined) query.push(['queueId', opts.queue]);
  if (opts.size !== undefined) query.push(['size', opts.size]);
  if (opts.nextToken !== undefined) query.push(['nextToken', opts.nextToken]);
  const answer = await client.call({ method: 'GET', path: '/jobs', query });
  const jobs = list(at(answer.body, 'Response', 'JobsDetail')).map(jobView);
  const nextToken = text(answer.body, 'Response', 'NextToken');
  const rows = jobs.map((j) => [
    j.jobId,
    j.state,
    j.progress === undefined ? '' : `${j.progress}%`,
    j.creationTime,
    j.output
      ? `${j.output.key}${j.output.sizeBytes === undefined ? '' : ` (${formatBytes(j.output.sizeBytes)})`}`
      : j.state === 'Failed'
        ? j.code
        : '',
  ]);
  const lines = jobs.length === 0 ? ['no jobs'] : table(['JOB', 'STATE', 'PROGRESS', 'CREATED', 'OUTPUT / CODE'], rows);
  if (nextToken !== '') lines.push(`more: --next-token ${nextToken}`);
  printer.result(lines, nextToken === '' ? { jobs } : { jobs, nextToken });
}

export async function showJob(client: CiClient, jobId: string, printer: Printer): Promise<void> {
  const job = await describe(client, jobId);
  if (job === undefined) throw new NotFound(`job ${jobId} does not exist in this bucket`);
  printer.result(jobLines(job), job);
}

export async function cancelJob(client: CiClient, jobId: string, printer: Printer): Promise<void> {
  await client.call({ method: 'PUT', path: `/jobs/${jobId}`, query: [['cancel', '']] });
  printer.result([`${jobId}: Cancel`], { jobId, state: 'Cancel' });
}

// The jobs resource: submit (POST /jobs), describe one or several (GET /jobs/<id>[,<id>…]), list
// (GET /jobs?…) and cancel (PUT /jobs/<id>?cancel).
import type { FastifyInstance } from 'fastify';
import { parseConcatJobRequest } from '../../domain/concat-request.js';
import type { ConcatJobRequest } from '../../domain/concat-types.js';
import { isId, newId } from '../../domain/ids.js';
import { JOB_STATES, type JobDoc, type JobRecord, type JobState } from '../../domain/job.js';
import { parseCiTime } from '../../domain/time.js';
import type { ApiDeps } from '../app.js';
import { sendXml } from '../app.js';
import { CiError, invalidArgument } from '../errors.js';
import { jobToXml } from '../../domain/job-detail.js';
import { parseRequestXml } from '../xml.js';

/** Tags DescribeMediaJobs knows; this engine runs Concat, the others simply list nothing. */
const KNOWN_TAGS = new Set([
  'Transcode', 'Animation', 'Snapshot', 'SmartCover', 'Concat', 'VoiceSeparate', 'VideoMontage', 'SDRtoHDR',
  'VideoProcess', 'SuperResolution', 'Segment', 'DigitalWatermark', 'ExtractDigitalWatermark', 'PicProcess',
  'StreamPack', 'VideoTag', 'Translation', 'Tts', 'NoiseReduction', 'QualityEstimate', 'SoundHound', 'SpeechRecognition',
]);

const MAX_DESCRIBE_IDS = 100;

type Query = Record<string, string | string[] | undefined>;

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post('/jobs', async (req, reply) => {
    const request = parseConcatJobRequest(parseRequestXml(req.body as string | undefined));
    refuseUnsupported(request);

    const queueId = request.queueId ?? (await deps.queues.defaultQueueId());
    const queue = await deps.queues.get(queueId);
    if (!queue) throw invalidArgument('Request.QueueId', `queue ${queueId} does not exist`);
    if (queue.state === 'Paused') throw new CiError('QueuePaused', `queue ${queueId} is paused; resume it or submit to another queue`);
    if ((await deps.jobs.countInQueue(queueId, ['Submitted', 'Pause'])) >= queue.maxSize) {
      throw new CiError('QueueSaturated', `queue ${queueId} already holds its MaxSize of ${queue.maxSize} waiting jobs`);
    }

    const templateId = request.operation.templateId;
    if (templateId !== undefined) {
      // Templates are stored by their own API; until one exists under this id the job cannot use it.
      throw invalidArgument('Request.Operation.TemplateId', `template ${templateId} does not exist in bucket ${req.ci.bucket}`);
    }

    const now = Date.now();
    const doc: JobDoc = {
      jobId: newId('job', now),
      tag: 'Concat',
      bucket: req.ci.bucket,
      region: req.ci.region,
      queueId,
      creationMs: now,
      request,
      concatTemplate: request.operation.concatTemplate,
    };
    await deps.jobs.create(doc);
    try {
      await deps.mediaQueues.enqueue(queueId, { kind: 'concat', jobId: doc.jobId }, request.operation.jobLevel);
    } catch (err) {
      await deps.jobs.discard(doc).catch(() => undefined);
      req.log.error({ err, jobId: doc.jobId }, 'enqueue failed');
      throw new CiError('ServiceUnavailable', 'the job queue is unavailable; the job was not created, retry later');
    }
    req.log.info({ jobId: doc.jobId, queueId, jobLevel: request.operation.jobLevel }, 'job submitted');
    const record: JobRecord = { ...doc, state: 'Submitted', progress: 0, code: 'Success', message: '', callback: { delivery: 'None', attempts: 0 } };
    return sendXml(reply, { JobsDetail: jobToXml(record, { progress: false }) });
  });

  app.get<{ Params: { ids: string } }>('/jobs/:ids', async (req, reply) => {
    const ids = [...new Set(req.params.ids.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
    if (ids.length === 0) throw invalidArgument('jobId', 'give at least one job id');
    if (ids.length > MAX_DESCRIBE_IDS) throw invalidArgument('jobId', `at most ${MAX_DESCRIBE_IDS} job ids per request, got ${ids.length}`);
    const found = await deps.jobs.getMany(ids.map((id) => (isId('job', id) ? id : `invalid:${id}`)));
    const details: unknown[] = [];
    const missing: string[] = [];
    found.forEach((rec, i) => {
      if (rec && rec.bucket === req.ci.bucket) details.push(jobToXml(rec, { progress: true }));
      else missing.push(ids[i] as string);
    });
    const body: Record<string, unknown> = { JobsDetail: details };
    if (missing.length > 0) body.NonExistJobIds = missing;
    return sendXml(reply, body);
  });

  app.get('/jobs', async (req, reply) => {
    const q = req.query as Query;
    const tag = single(q, 'tag');
    if (tag === undefined || tag === '') throw invalidArgument('tag', 'is required, for example tag=Concat');
    if (!KNOWN_TAGS.has(tag)) throw invalidArgument('tag', `unknown job tag ${JSON.stringify(tag)}`);

    const size = single(q, 'size');
    const sizeN = size === undefined || size === '' ? 10 : /^\d+$/.test(size) ? Number(size) : NaN;
    if (!(sizeN >= 1 && sizeN <= 100)) throw invalidArgument('size', `must be an integer in [1, 100], got ${JSON.stringify(size)}`);

    const order = single(q, 'orderByTime') ?? 'Desc';
    if (order !== 'Desc' && order !== 'Asc') throw invalidArgument('orderByTime', `must be Desc or Asc, got ${JSON.stringify(order)}`);

    const states = parseStates(single(q, 'states'));
    const nextToken = nonEmpty(single(q, 'nextToken'));
    if (nextToken !== undefined && !isId('job', nextToken)) throw invalidArgument('nextToken', 'is not a token this API returned');
    const startMs = parseTimeParam(q, 'startCreationTime');
    const endMs = parseTimeParam(q, 'endCreationTime');
    if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
      throw invalidArgument('startCreationTime', 'must not be after endCreationTime');
    }

    if (tag !== 'Concat') return sendXml(reply, {});
    const page = await deps.jobs.list({
      bucket: req.ci.bucket,
      tag,
      queueId: nonEmpty(single(q, 'queueId')),
      states,
      order,
      size: sizeN,
      nextToken,
      startMs,
      // CI times have second precision: the end bound includes its whole second.
      endMs: endMs === undefined ? undefined : endMs + 999,
      inputObject: nonEmpty(single(q, 'inputObject')),
      workflowId: nonEmpty(single(q, 'workflowId')),
    });
    const body: Record<string, unknown> = { JobsDetail: page.jobs.map((j) => jobToXml(j, { progress: true })) };
    if (page.nextToken !== undefined) body.NextToken = page.nextToken;
    return sendXml(reply, body);
  });

  // The SDKs send the cancel as `?cancel`, `?cancel=` or with no query at all.
  app.put<{ Params: { ids: string } }>('/jobs/:ids', async (req, reply) => {
    const jobId = req.params.ids.trim();
    const rec = isId('job', jobId) ? await deps.jobs.get(jobId) : undefined;
    if (!rec || rec.bucket !== req.ci.bucket) throw invalidArgument('JobId', `job ${jobId} does not exist`);
    const t = await deps.jobs.transition(jobId, ['Submitted', 'Pause'], 'Cancel', { endMs: Date.now() });
    if (!t.ok) {
      throw invalidArgument('JobId', `job ${jobId} is ${t.previous}; only Submitted or Pause jobs can be cancelled`);
    }
    await deps.mediaQueues.remove(rec.queueId, jobId);
    req.log.info({ jobId }, 'job cancelled');
    return reply.code(200).send('');
  });
}

/**
 * Valid requests this engine cannot carry out yet are refused at submit, never accepted and then run
 * without the feature: a user must not get an output that silently lacks what was asked for.
 */
function refuseUnsupported(request: ConcatJobRequest): void {
  if (request.callBackType === 'TDMQ') {
    throw invalidArgument('Request.CallBackType', 'TDMQ delivery is not available in this engine; use Url with a CallBack address');
  }
  const op = request.operation;
  if (op.watermarks.length > 0) throw invalidArgument('Request.Operation.Watermark', 'watermarks are not available in this engine yet');
  if (op.watermarkTemplateIds.length > 0) throw invalidArgument('Request.Operation.WatermarkTemplateId', 'watermarks are not available in this engine yet');
  const mode = op.concatTemplate?.sceneChangeInfo?.mode;
  if (mode !== undefined && mode !== 'Default') {
    throw invalidArgument('Request.Operation.ConcatTemplate.SceneChangeInfo.Mode', `transition ${mode} is not available in this engine yet; use Default (a hard cut)`);
  }
}

function single(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function parseStates(raw: string | undefined): JobState[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.includes('All')) return undefined;
  for (const p of parts) {
    if (!(JOB_STATES as readonly string[]).includes(p)) {
      throw invalidArgument('states', `unknown state ${JSON.stringify(p)}; use All or a comma list of ${JOB_STATES.join(', ')}`);
    }
  }
  return [...new Set(parts)] as JobState[];
}

function parseTimeParam(q: Query, name: string): number | undefined {
  const v = nonEmpty(single(q, name));
  if (v === undefined) return undefined;
  // A '+' in an unencoded query arrives as a space.
  const ms = parseCiTime(v.replace(' ', '+'));
  if (ms === undefined) throw invalidArgument(name, `must look like 2022-06-27T15:23:10+0800, got ${JSON.stringify(v)}`);
  return ms;
}

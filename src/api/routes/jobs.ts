// The jobs resource: submit (POST /jobs), describe one or several (GET /jobs/<id>[,<id>…]), list
// (GET /jobs?…) and cancel (PUT /jobs/<id>?cancel).
import type { FastifyInstance } from 'fastify';
import { parseConcatJobRequest } from '../../wire/concat-request.js';
import type { ConcatJobRequest } from '../../domain/concat-types.js';
import { isId, newId } from '../../domain/ids.js';
import { JOB_STATES, type JobDoc, type JobRecord, type JobState } from '../../domain/job.js';
import type { ApiDeps } from '../app.js';
import { sendXml } from '../app.js';
import { CiError, invalidArgument } from '../errors.js';
import { jobToXml } from '../../wire/job-detail.js';
import { nonEmpty, single, timeParam, type Query } from '../query.js';
import { CallbackTargetChecker } from '../callback-target.js';
import { bucketNameProblem, objectKeyProblem } from '../../domain/object-key.js';
import type { TemplateStore } from '../../store/template-store.js';

/** Tags DescribeMediaJobs knows; this engine runs Concat, the others simply list nothing. */
const KNOWN_TAGS = new Set([
  'Transcode', 'Animation', 'Snapshot', 'SmartCover', 'Concat', 'VoiceSeparate', 'VideoMontage', 'SDRtoHDR',
  'VideoProcess', 'SuperResolution', 'Segment', 'DigitalWatermark', 'ExtractDigitalWatermark', 'PicProcess',
  'StreamPack', 'VideoTag', 'Translation', 'Tts', 'NoiseReduction', 'QualityEstimate', 'SoundHound', 'SpeechRecognition',
]);

const MAX_DESCRIBE_IDS = 100;

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const callbackTargets = new CallbackTargetChecker(deps.security.callbackPolicy);
  app.post('/jobs', async (req, reply) => {
    const request = parseConcatJobRequest(req.readXml());
    refuseUnsupported(request);
    refuseUnsafeOutput(request);
    await callbackTargets.check(request.callBack);

    const queueId = request.queueId ?? (await deps.queues.defaultQueueId());
    const templates = await resolveTemplates(deps.templates, req.ci.bucket, request);

    const now = Date.now();
    const doc: JobDoc = {
      jobId: newId('job', now),
      tag: 'Concat',
      bucket: req.ci.bucket,
      region: req.ci.region,
      queueId,
      creationMs: now,
      request,
      ...templates,
    };
    const outcome = await deps.jobs.submit(doc, deps.queues.recordKey(queueId));
    if (!outcome.ok) {
      if (outcome.reason === 'NOQUEUE') throw invalidArgument('Request.QueueId', `queue ${queueId} does not exist`);
      if (outcome.reason === 'PAUSED') throw new CiError('QueuePaused', `queue ${queueId} is paused; resume it or submit to another queue`);
      throw new CiError('QueueSaturated', `queue ${queueId} already holds its MaxSize of ${outcome.maxSize} waiting jobs`);
    }
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
    const startMs = timeParam(q, 'startCreationTime');
    const endMs = timeParam(q, 'endCreationTime');
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
    // A workflow's node job that never runs still ends its task, so the execution can end too.
    if (rec.workflow) {
      const cancelled = await deps.jobs.get(jobId);
      if (cancelled) await deps.workflowRunner.onJobFinished(cancelled);
    }
    return reply.code(200).send('');
  });
}

/**
 * The templates a job names, as they are now: the job keeps these copies, so a later update or delete
 * of a template never changes a job in flight. TemplateId wins over an inline ConcatTemplate.
 */
async function resolveTemplates(
  store: TemplateStore,
  bucket: string,
  request: ConcatJobRequest,
): Promise<Pick<JobDoc, 'templateSnapshot' | 'templateName' | 'watermarkSnapshot'>> {
  const op = request.operation;
  const out: Pick<JobDoc, 'templateSnapshot' | 'templateName' | 'watermarkSnapshot'> = {};
  if (op.templateId !== undefined) {
    const t = await store.get(bucket, op.templateId);
    if (!t) throw invalidArgument('Request.Operation.TemplateId', `template ${op.templateId} does not exist in bucket ${bucket}`);
    if (t.tag !== 'Concat') throw invalidArgument('Request.Operation.TemplateId', `template ${op.templateId} is a ${t.tag} template, not a Concat template`);
    out.templateSnapshot = t.concatTemplate;
    out.templateName = t.name;
  }
  if (op.watermarkTemplateIds.length > 0) {
    const found = await store.getMany(bucket, op.watermarkTemplateIds);
    out.watermarkSnapshot = found.map((t, i) => {
      const id = op.watermarkTemplateIds[i] as string;
      if (!t) throw invalidArgument(`Request.Operation.WatermarkTemplateId[${i}]`, `template ${id} does not exist in bucket ${bucket}`);
      if (t.tag !== 'Watermark') throw invalidArgument(`Request.Operation.WatermarkTemplateId[${i}]`, `template ${id} is a ${t.tag} template, not a Watermark template`);
      return t.watermark;
    });
  }
  return out;
}

/**
 * Valid requests this engine cannot carry out are refused at submit, never accepted and then run
 * without the feature: a user must not get an output that silently lacks what was asked for.
 */
function refuseUnsupported(request: ConcatJobRequest): void {
  if (request.callBackType === 'TDMQ') {
    throw invalidArgument('Request.CallBackType', 'TDMQ delivery is not available in this engine; use Url with a CallBack address');
  }
}

/** Output.Object must be a key inside the bucket (no `..`, no absolute path, no control characters). */
function refuseUnsafeOutput(request: ConcatJobRequest): void {
  const { bucket, object } = request.operation.output;
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) throw invalidArgument('Request.Operation.Output.Bucket', bucketProblem);
  const keyProblem = objectKeyProblem(object);
  if (keyProblem) throw invalidArgument('Request.Operation.Output.Object', keyProblem);
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


// The jobs resource: submit (POST /jobs), describe one or several (GET /jobs/<id>[,<id>…]), list
// (GET /jobs?…) and cancel (PUT /jobs/<id>?cancel).
import type { FastifyInstance } from 'fastify';
import { parseConcatJobRequest } from '../../wire/concat-request.js';
import type { ConcatJobRequest } from '../../domain/concat-types.js';
import { isId, newId } from '../../domain/ids.js';
import { JOB_STATES, type JobDoc, type JobRecord } from '../../domain/job.js';
import { jobToXml } from '../../wire/job-detail.js';
import { bucketNameProblem, objectKeyProblem } from '../../domain/object-key.js';
import type { MediaQueues } from '../../queue/media-queues.js';
import { EnqueueFailed, submitJob } from '../../queue/submit-job.js';
import type { JobStore } from '../../store/job-store.js';
import type { QueueStore } from '../../store/queue-store.js';
import type { TemplateStore } from '../../store/template-store.js';
import type { WorkflowRunner } from '../../workflows/runner.js';
import type { CallbackTargetChecker } from '../callback-target.js';
import { CiError, invalidArgument } from '../errors.js';
import { commaList, listParams, nonEmpty, single, type Query } from '../query.js';
import { sendXml } from '../reply.js';

/** Tags DescribeMediaJobs knows; this engine runs Concat, the others simply list nothing. */
const KNOWN_TAGS = new Set([
  'Transcode',
  'Animation',
  'Snapshot',
  'SmartCover',
  'Concat',
  'VoiceSeparate',
  'VideoMontage',
  'SDRtoHDR',
  'VideoProcess',
  'SuperResolution',
  'Segment',
  'DigitalWatermark',
  'ExtractDigitalWatermark',
  'PicProcess',
  'StreamPack',
  'VideoTag',
  'Translation',
  'Tts',
  'NoiseReduction',
  'QualityEstimate',
  'SoundHound',
  'SpeechRecognition',
]);

const MAX_DESCRIBE_IDS = 100;

interface JobRouteDeps {
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  templates: TemplateStore;
  /** A cancelled workflow job still ends its task. */
  workflowRunner: Pick<WorkflowRunner, 'onJobFinished'>;
  callbackTargets: Pick<CallbackTargetChecker, 'check'>;
  /** Told of each job submitted (the metrics count them). */
  onSubmitted?: (doc: JobDoc) => void;
}

export function registerJobRoutes(app: FastifyInstance, deps: JobRouteDeps): void {
  app.post('/jobs', async (req, reply) => {
    const request = parseConcatJobRequest(req.readXml());
    refuseUnsupported(request);
    refuseUnsafeOutput(request);
    await deps.callbackTargets.check(request.callBack);

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
    let outcome;
    try {
      outcome = await submitJob(deps, doc);
    } catch (err) {
      if (err instanceof EnqueueFailed) req.log.error({ err: err.queueError, jobId: doc.jobId }, 'enqueue failed');
      throw err;
    }
    if (!outcome.ok) {
      if (outcome.reason === 'NOQUEUE') throw invalidArgument('Request.QueueId', `queue ${queueId} does not exist`);
      if (outcome.reason === 'PAUSED') throw new CiError('QueuePaused', `queue ${queueId} is paused; resume it or submit to another queue`);
      throw new CiError('QueueSaturated', `queue ${queueId} already holds its MaxSize of ${outcome.maxSize} waiting jobs`);
    }
    req.log.info({ jobId: doc.jobId, queueId, jobLevel: request.operation.jobLevel }, 'job submitted');
    const record: JobRecord = {
      ...doc,
      state: 'Submitted',
      progress: 0,
      code: 'Success',
      message: '',
      callback: { delivery: 'None', attempts: 0 },
    };
    return sendXml(reply, { JobsDetail: jobToXml(record, { progress: false }) });
  });

  app.get<{ Params: { ids: string } }>('/jobs/:ids', async (req, reply) => {
    const ids = commaList(req.params.ids);
    if (ids.length === 0) throw invalidArgument('jobId', 'give at least one job id');
    if (ids.length > MAX_DESCRIBE_IDS) throw invalidArgument('jobId', `at most ${MAX_DESCRIBE_IDS} job ids per request, got ${ids.length}`);
    const found = await deps.jobs.getMany(ids.map((id) => (isId('job', id) ? id : `invalid:${id}`)));
    const details: unknown[] = [];
    const missing: string[] = [];
    found.forEach((rec, i) => {
      if (rec?.bucket === req.ci.bucket) details.push(jobToXml(rec, { progress: true }));
      else missing.push(ids[i]!);
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

    const { size, order, states, nextToken, startMs, endMs } = listParams(q, JOB_STATES, 'job');

    if (tag !== 'Concat') return sendXml(reply, {});
    const page = await deps.jobs.list({
      bucket: req.ci.bucket,
      tag,
      queueId: nonEmpty(single(q, 'queueId')),
      states,
      order,
      size,
      nextToken,
      startMs,
      endMs,
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
    if (rec?.bucket !== req.ci.bucket) throw invalidArgument('JobId', `job ${jobId} does not exist`);
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
    if (t.tag !== 'Concat')
      throw invalidArgument('Request.Operation.TemplateId', `template ${op.templateId} is a ${t.tag} template, not a Concat template`);
    out.templateSnapshot = t.concatTemplate;
    out.templateName = t.name;
  }
  if (op.watermarkTemplateIds.length > 0) {
    const found = await store.getMany(bucket, op.watermarkTemplateIds);
    out.watermarkSnapshot = found.map((t, i) => {
      const id = op.watermarkTemplateIds[i]!;
      if (!t) throw invalidArgument(`Request.Operation.WatermarkTemplateId[${i}]`, `template ${id} does not exist in bucket ${bucket}`);
      if (t.tag !== 'Watermark')
        throw invalidArgument(
          `Request.Operation.WatermarkTemplateId[${i}]`,
          `template ${id} is a ${t.tag} template, not a Watermark template`,
        );
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

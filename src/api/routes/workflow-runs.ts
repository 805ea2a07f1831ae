// Running workflows through the API: the manual trigger (POST /triggerworkflow), the executions
// (GET /workflowexecution, GET /workflowexecution/<runId>), and the S3 event endpoint
// (POST /s3-events) that MinIO's webhook (or any S3-style notifier) calls when an object is created.
import type { S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../logger.js';
import { isId } from '../../domain/ids.js';
import { EXECUTION_STATES } from '../../domain/workflow-execution.js';
import { executionSummaryToXml, executionToXml } from '../../wire/execution.js';
import { parseWorkflowName } from '../../domain/workflow.js';
import { objectHeaders, type ObjectHeaders } from '../../storage/object-headers.js';
import type { ExecutionStore } from '../../store/execution-store.js';
import type { WorkflowStore } from '../../store/workflow-store.js';
import { RunRefused, type WorkflowRunner } from '../../workflows/runner.js';
import { onS3Notification } from '../../workflows/upload-trigger.js';
import { CiError, invalidArgument } from '../errors.js';
import { listParams, nonEmpty, single, type Query } from '../query.js';
import { sendXml } from '../reply.js';

export const S3_EVENTS_PATH = '/s3-events';

interface WorkflowRunDeps {
  workflows: WorkflowStore;
  executions: ExecutionStore;
  workflowRunner: WorkflowRunner;
  s3: S3Client;
  s3EventsToken?: string;
}

export function registerWorkflowRunRoutes(app: FastifyInstance, deps: WorkflowRunDeps): void {
  const trigger = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Query;
    const workflowId = nonEmpty(single(q, 'workflowId'));
    if (!workflowId) throw invalidArgument('workflowId', 'is required');
    const object = nonEmpty(single(q, 'object'))?.replace(/^\/+/, '');
    if (!object) throw invalidArgument('object', 'is required: the key of an object in the bucket');
    const name = nonEmpty(single(q, 'name'));
    if (name !== undefined) parseWorkflowName(name, 'name');
    const w = isId('workflow', workflowId) ? await deps.workflows.get(req.ci.bucket, workflowId) : undefined;
    if (!w) throw invalidArgument('workflowId', `workflow ${workflowId} does not exist in bucket ${req.ci.bucket}`);
    if (w.state !== 'Active')
      throw invalidArgument('workflowId', `workflow ${workflowId} is Paused; activate it with PUT /workflow/${workflowId}?active`);
    let head: ObjectHeaders;
    try {
      head = await objectHeaders(deps.s3, req.ci.bucket, object);
    } catch {
      throw invalidArgument('object', `object ${object} does not exist in bucket ${req.ci.bucket}`);
    }
    const cosHeaders = [...head.headers, { key: 'Size', value: String(head.size ?? 0) }];
    let runId: string;
    try {
      runId = await deps.workflowRunner.start(w, object, { name, cosHeaders });
    } catch (err) {
      if (err instanceof RunRefused) throw invalidArgument('workflowId', err.message);
      throw err;
    }
    req.log.info({ workflowId, runId, object }, 'workflow triggered');
    return sendXml(reply, { RequestId: req.id, InstanceId: runId });
  };
  // `/triggerworkflow/` too (one doc sample has the slash): the router ignores trailing slashes.
  app.post('/triggerworkflow', trigger);

  app.get('/workflowexecution', async (req, reply) => {
    const q = req.query as Query;
    const workflowId = nonEmpty(single(q, 'workflowId'));
    if (!workflowId) throw invalidArgument('workflowId', 'is required');
    const { size, order, states, nextToken, startMs, endMs } = listParams(q, EXECUTION_STATES, 'instance');
    const w = isId('workflow', workflowId) ? await deps.workflows.get(req.ci.bucket, workflowId) : undefined;
    if (!w) throw invalidArgument('workflowId', `workflow ${workflowId} does not exist in bucket ${req.ci.bucket}`);
    const page = await deps.executions.list({
      workflowId,
      states,
      order,
      size,
      nextToken,
      startMs,
      endMs,
      object: nonEmpty(single(q, 'name')),
    });
    const body: Record<string, unknown> = { RequestId: req.id, WorkflowExecutionList: page.executions.map(executionSummaryToXml) };
    if (page.nextToken !== undefined) body.NextToken = page.nextToken;
    return sendXml(reply, body);
  });

  app.get<{ Params: { runId: string } }>('/workflowexecution/:runId', async (req, reply) => {
    const e = isId('instance', req.params.runId) ? await deps.executions.get(req.params.runId) : undefined;
    if (e?.bucket !== req.ci.bucket)
      throw invalidArgument('runId', `workflow execution ${req.params.runId} does not exist in bucket ${req.ci.bucket}`);
    return sendXml(reply, { RequestId: req.id, WorkflowExecution: executionToXml(e) });
  });

  app.post(S3_EVENTS_PATH, async (req, reply) => {
    if (deps.s3EventsToken !== undefined && req.headers.authorization !== `Bearer ${deps.s3EventsToken}`) {
      throw new CiError('AccessDenied', 'the S3 event endpoint needs Authorization: Bearer <S3_EVENTS_TOKEN>');
    }
    let body: unknown;
    try {
      body = JSON.parse((req.body as string | undefined) ?? '');
    } catch {
      throw new CiError('InvalidContent', 'an S3 event notification is a JSON document with Records');
    }
    const runIds = await onS3Notification(
      { workflows: deps.workflows, runner: deps.workflowRunner, s3: deps.s3, logger: req.log as unknown as Logger },
      body,
    );
    return reply.code(200).send({ started: runIds });
  });
}

// The workflows resource (docs/ci-api.md 6, the Querying Workflow page): create (POST /workflow),
// update (PUT /workflow/<id>), activate and pause (PUT /workflow/<id>?active | ?paused), delete
// (DELETE /workflow/<id>) and describe/search (GET /workflow?ids=&name=&pageNumber=&pageSize=).
// A workflow is stored as sent, State included, whatever its node types, so exported workflows import
// and read back unchanged; `?active` and triggering refuse a workflow with node types the engine does
// not execute, and uploads never start one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isId, newId } from '../../domain/ids.js';
import { unrunnableTypes, type WorkflowRecord } from '../../domain/workflow.js';
import { parseWorkflowRequest, workflowToXml } from '../../wire/workflow.js';
import type { WorkflowStore } from '../../store/workflow-store.js';
import { sendXml } from '../reply.js';
import { invalidArgument } from '../errors.js';
import { commaList, pageParams, single, type Query } from '../query.js';

/** Refuses to make runnable a workflow holding node types the engine does not execute. */
function assertRunnable(w: WorkflowRecord, action: string): void {
  const missing = unrunnableTypes(w.topology);
  if (missing.length > 0) {
    throw invalidArgument(
      'WorkflowId',
      `workflow ${w.workflowId} cannot be ${action}: this engine runs Start, Concat and End nodes, not ${missing.join(', ')} (the workflow stays stored and readable)`,
    );
  }
}

export function registerWorkflowRoutes(app: FastifyInstance, workflows: WorkflowStore): void {
  const findOwn = async (req: FastifyRequest, id: string): Promise<WorkflowRecord> => {
    const w = isId('workflow', id) ? await workflows.get(req.ci.bucket, id) : undefined;
    if (!w) throw invalidArgument('WorkflowId', `workflow ${id} does not exist in bucket ${req.ci.bucket}`);
    return w;
  };

  app.post('/workflow', async (req, reply) => {
    const body = parseWorkflowRequest(req.readXml());
    const now = Date.now();
    const w: WorkflowRecord = {
      ...body,
      workflowId: newId('workflow', now),
      bucket: req.ci.bucket,
      region: req.ci.region,
      createMs: now,
      updateMs: now,
    };
    await workflows.put(w);
    req.log.info({ workflowId: w.workflowId, state: w.state }, 'workflow created');
    return sendXml(reply, { RequestId: req.id, MediaWorkflow: workflowToXml(w) });
  });

  app.put<{ Params: { id: string } }>('/workflow/:id', async (req, reply) => {
    const existing = await findOwn(req, req.params.id);
    const q = req.query as Query;
    const now = Math.max(Date.now(), existing.updateMs);
    if ('active' in q || 'paused' in q) {
      const state = 'active' in q ? 'Active' : 'Paused';
      const w: WorkflowRecord = { ...existing, state, updateMs: now };
      if (state === 'Active') assertRunnable(w, 'activated');
      await workflows.put(w);
      req.log.info({ workflowId: w.workflowId, state }, 'workflow state changed');
      // The live service answers the workflow as GET /workflow shows it; SDKs parse this body as XML.
      return sendXml(reply, { RequestId: req.id, MediaWorkflow: workflowToXml(w) });
    }
    const body = parseWorkflowRequest(req.readXml());
    const w: WorkflowRecord = {
      ...body,
      workflowId: existing.workflowId,
      bucket: existing.bucket,
      region: existing.region,
      createMs: existing.createMs,
      updateMs: now,
    };
    await workflows.put(w);
    req.log.info({ workflowId: w.workflowId }, 'workflow updated');
    return sendXml(reply, { RequestId: req.id, MediaWorkflow: workflowToXml(w) });
  });

  app.delete<{ Params: { id: string } }>('/workflow/:id', async (req, reply) => {
    const w = await findOwn(req, req.params.id);
    await workflows.delete(w);
    req.log.info({ workflowId: w.workflowId }, 'workflow deleted');
    return sendXml(reply, { RequestId: req.id, WorkflowId: w.workflowId });
  });

  app.get('/workflow', async (req, reply) => {
    const q = req.query as Query;
    const { pageNumber, pageSize } = pageParams(q);
    const name = single(q, 'name') ?? '';
    const idsParam = single(q, 'ids');
    if (idsParam) {
      const ids = commaList(idsParam);
      if (ids.length > 100) throw invalidArgument('ids', `at most 100 workflow ids, got ${ids.length}`);
      const found = await workflows.getMany(
        req.ci.bucket,
        ids.map((id) => (isId('workflow', id) ? id : `invalid:${id}`)),
      );
      const body: Record<string, unknown> = {
        RequestId: req.id,
        MediaWorkflowList: found.filter((w): w is WorkflowRecord => w?.name.startsWith(name) === true).map(workflowToXml),
      };
      const missing = ids.filter((_id, i) => found[i] === undefined);
      if (missing.length > 0) body.NonExistIDs = missing;
      return sendXml(reply, body);
    }
    const all = (await workflows.all(req.ci.bucket)).filter((w) => w.name.startsWith(name));
    return sendXml(reply, {
      RequestId: req.id,
      TotalCount: String(all.length),
      PageNumber: String(pageNumber),
      PageSize: String(pageSize),
      MediaWorkflowList: all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map(workflowToXml),
    });
  });
}

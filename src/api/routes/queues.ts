// The queues resource (docs/ci-api.md 5): search (GET /queue?…) and update (PUT /queue/<id>), which
// pauses and resumes a queue and sets its notifications.
import type { FastifyInstance } from 'fastify';
import { parseQueueUpdate, queueToXml } from '../../wire/queue.js';
import { isId } from '../../domain/ids.js';
import { updateQueue, type QueueControlDeps } from '../../queue/queue-control.js';
import type { CallbackTargetChecker } from '../callback-target.js';
import { sendXml } from '../reply.js';
import { invalidArgument } from '../errors.js';
import { commaList, nonEmpty, pageParams, single, type Query } from '../query.js';

const MAX_QUEUE_IDS = 10;

interface QueueRouteDeps extends QueueControlDeps {
  /** A queue's notification URL passes the same check as a job's CallBack. */
  callbackTargets: Pick<CallbackTargetChecker, 'check'>;
}

export function registerQueueRoutes(app: FastifyInstance, deps: QueueRouteDeps): void {
  app.get('/queue', async (req, reply) => {
    const q = req.query as Query;
    const { pageNumber, pageSize } = pageParams(q);
    const state = nonEmpty(single(q, 'state')) ?? 'All';
    if (!['All', 'Active', 'Paused'].includes(state))
      throw invalidArgument('state', `must be Active, Paused or All, got ${JSON.stringify(state)}`);
    const category = nonEmpty(single(q, 'category')) ?? 'Transcoding';
    if (!['CateAll', 'Transcoding', 'SpeedTranscoding'].includes(category)) {
      throw invalidArgument('category', `must be CateAll, Transcoding or SpeedTranscoding, got ${JSON.stringify(category)}`);
    }
    const idsParam = single(q, 'queueIds');
    await deps.queues.ensureDefault();
    if (idsParam) {
      const ids = commaList(idsParam);
      if (ids.length > MAX_QUEUE_IDS) throw invalidArgument('queueIds', `at most ${MAX_QUEUE_IDS} queue ids, got ${ids.length}`);
      const found = await Promise.all(ids.map((id) => (isId('queue', id) ? deps.queues.get(id) : Promise.resolve(undefined))));
      const body: Record<string, unknown> = {
        RequestId: req.id,
        QueueList: found.filter((x) => x !== undefined).map((x) => queueToXml(x, req.ci.bucket)),
      };
      const missing = ids.filter((_id, i) => found[i] === undefined);
      if (missing.length > 0) body.NonExistPIDs = missing;
      return sendXml(reply, body);
    }
    const all = (await deps.queues.all()).filter(
      (x) => (state === 'All' || x.state === state) && (category === 'CateAll' || x.category === category),
    );
    return sendXml(reply, {
      RequestId: req.id,
      TotalCount: String(all.length),
      PageNumber: String(pageNumber),
      PageSize: String(pageSize),
      QueueList: all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((x) => queueToXml(x, req.ci.bucket)),
    });
  });

  app.put<{ Params: { id: string } }>('/queue/:id', async (req, reply) => {
    const id = req.params.id;
    const previous = isId('queue', id) ? await deps.queues.get(id) : undefined;
    if (!previous) throw invalidArgument('QueueId', `queue ${id} does not exist`);
    const update = parseQueueUpdate(req.readXml());
    if (update.notifyConfig.state === 'On' && update.notifyConfig.url) {
      await deps.callbackTargets.check(update.notifyConfig.url, 'Request.NotifyConfig.Url');
    }
    const next = await updateQueue(
      deps,
      {
        ...previous,
        name: update.name,
        state: update.state,
        notifyConfig: update.notifyConfig,
        maxSize: update.maxSize ?? previous.maxSize,
        maxConcurrent: update.maxConcurrent ?? previous.maxConcurrent,
        updateMs: Date.now(),
      },
      previous,
    );
    req.log.info({ queueId: id, state: next.state }, 'queue updated');
    return sendXml(reply, { RequestId: req.id, Queue: queueToXml(next, req.ci.bucket) });
  });
}

// `ci-concat queue pause|resume [--queue Q]`: UpdateMediaQueue (PUT /queue/<id>, docs/ci-api.md 5.2)
// with the new State. The API wants the queue's Name and NotifyConfig in the same body, so they are read
// first (GET /queue) and sent back as they are. Without --queue it is the engine's default queue, the
// one jobs without a QueueId go to.
import type { CiClient } from '../ci-client.js';
import { NotFound, UsageError } from '../errors.js';
import type { Printer } from '../output.js';
import { at, buildXml, list, text } from '../xml.js';

/** The queue the engine creates on its first start (README, Queues). */
const DEFAULT_QUEUE_NAME = 'queue-1';

async function findQueue(client: CiClient, queueId: string | undefined): Promise<unknown> {
  if (queueId !== undefined) {
    const answer = await client.call({ method: 'GET', path: '/queue', query: [['queueIds', queueId]] });
    const found = list(at(answer.body, 'Response', 'QueueList'))[0];
    if (found === undefined) throw new NotFound(`queue ${queueId} does not exist`);
    return found;
  }
  const answer = await client.call({ method: 'GET', path: '/queue', query: [['pageSize', '100']] });
  const queues = list(at(answer.body, 'Response', 'QueueList'));
  if (queues.length === 1) return queues[0];
  const named = queues.find((q) => text(q, 'Name') === DEFAULT_QUEUE_NAME);
  if (named !== undefined) return named;
  throw new UsageError(
    `the engine has ${queues.length} queues: name one with --queue (${queues.map((q) => text(q, 'QueueId')).join(', ')})`,
  );
}

export async function setQueueState(
  client: CiClient,
  action: 'pause' | 'resume',
  queueId: string | undefined,
  printer: Printer,
): Promise<void> {
  const queue = await findQueue(client, queueId);
  const id = text(queue, 'QueueId');
  const state = action === 'pause' ? 'Paused' : 'Active';
  const notify = at(queue, 'NotifyConfig');
  const notifyConfig: Record<string, string> = { State: text(notify, 'State') || 'Off' };
  for (const field of ['Event', 'Type', 'Url', 'ResultFormat']) {
    const value = text(notify, field);
    if (value !== '') notifyConfig[field] = value;
  }
  const body = buildXml({ Request: { Name: text(queue, 'Name'), QueueID: id, State: state, NotifyConfig: notifyConfig } });
  const answer = await client.call({ method: 'PUT', path: `/queue/${id}`, body });
  const updated = at(answer.body, 'Response', 'Queue');
  const result = { queueId: id, name: text(updated, 'Name'), state: text(updated, 'State') };
  printer.result([`queue ${result.queueId} (${result.name}): ${result.state}`], result);
}

// The operators' dashboard at /dashboard: bull-board over the engine's BullMQ queues (one per CI queue,
// and the callback deliveries), behind HTTP basic auth. It is a window on BullMQ, not a second API:
// a media job's state belongs to its CI record (pause through PUT /queue/<id>, cancel through
// PUT /jobs/<id>?cancel), so the media queues are always read-only here. Only the callback queue
// accepts actions, and only when the deployment turns read-only mode off: retrying or promoting a
// delivery re-sends a callback, which is what an operator wants once a receiver is fixed.
//
// Everything lives in one encapsulated plugin, so its basic-auth hook, JSON body parser and
// bull-board's own error handler touch no CI route.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import fastifyBasicAuth from '@fastify/basic-auth';
import type { MediaQueues } from '../../queue/media-queues.js';
import type { QueueStore } from '../../store/queue-store.js';
import { redactData, redactText } from './redact.js';

export const DASHBOARD_PATH = '/dashboard';

const EXTERNAL_FONTS = /<link[^>]*href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^>]*>\s*/g;

/** True for the dashboard's page, its assets and its JSON API (all served without a bucket Host). */
export function isDashboardPath(path: string): boolean {
  return path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);
}

export interface DashboardSettings {
  login: { user: string; password: string };
  /** False lets the callback queue's actions (retry, promote, clean…) through; media queues stay read-only. */
  readOnly: boolean;
}

export interface DashboardDeps {
  settings: DashboardSettings;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  /** The callback delivery queue. */
  callbackQueue: Queue;
}

/** Compares in time that depends on neither value: both sides are hashed to the same length first. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function redactingAdapter(queue: Queue, opts: { readOnly: boolean; displayName: string; description: string }): BullMQAdapter {
  const adapter = new BullMQAdapter(queue, { readOnlyMode: opts.readOnly, displayName: opts.displayName, description: opts.description });
  adapter.setFormatter('data', (data: unknown) => redactData(data));
  adapter.setFormatter('returnValue', (value: unknown) => redactData(value));
  return adapter;
}

/** Every string of an answer through redactText: failure reasons, stack traces and job logs quote URLs. */
function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)]));
  }
  return value;
}

/** The dashboard as an encapsulated plugin: register it on the app (its routes carry their own prefix). */
export function dashboardPlugin(deps: DashboardDeps): (scope: FastifyInstance) => Promise<void> {
  return (scope) => registerDashboard(scope, deps);
}

async function registerDashboard(scope: FastifyInstance, deps: DashboardDeps): Promise<void> {
  // Loaded only when the dashboard is on: @fastify/static, under it, requires an ES module, which
  // Node 20 can only do from 20.19 on; older runtimes still serve the CI API without a dashboard.
  const { FastifyAdapter } = await import('@bull-board/fastify').catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'ERR_REQUIRE_ESM') throw err;
    throw new Error(
      `the dashboard needs Node 20.19 or later (it loads an ES module with require()); this is Node ${process.versions.node}. Upgrade Node, or unset DASHBOARD_USER and DASHBOARD_PASSWORD.`,
      { cause: err },
    );
  });
  const { settings } = deps;
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);

  const callbacks = redactingAdapter(deps.callbackQueue, {
    readOnly: settings.readOnly,
    displayName: 'callbacks',
    description: 'Callback deliveries (TaskFinish, WorkflowFinish)',
  });
  const media = new Map<string, BullMQAdapter>();
  const board = createBullBoard({
    queues: [callbacks],
    // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api 9.10.1, whose adapter types are
    // nominally distinct from the 9.10.2 ones used here; the shapes are the same.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: {
      uiConfig: { boardTitle: 'ci-concat-engine' },
      handlerHooks: {
        // The queue list is read from the store at each poll of the queue overview, so a queue record
        // written after the start (by another process sharing Redis) shows up without a restart.
        before: async (ctx) => {
          // Redis out of reach: the board keeps the queues it knows and reports their own errors.
          if (ctx.method === 'get' && ctx.route === '/api/queues') await syncQueues().catch(() => undefined);
        },
        after: (_ctx, result) => ({ ...result, body: redactStrings(result.body) }) as typeof result,
      },
    },
  });

  async function syncQueues(): Promise<void> {
    const records = await deps.queues.all();
    let changed = false;
    for (const rec of records) {
      if (media.has(rec.queueId)) continue;
      media.set(
        rec.queueId,
        redactingAdapter(deps.mediaQueues.queue(rec.queueId), {
          readOnly: true,
          displayName: `${rec.name} (${rec.queueId})`,
          description: `CI queue ${rec.queueId}: pause and resume it with PUT /queue/${rec.queueId}`,
        }),
      );
      changed = true;
    }
    if (changed) board.replaceQueues([...media.values(), callbacks]);
  }
  await syncQueues();

  await scope.register(fastifyBasicAuth, {
    validate(user, password, _req, _reply, done) {
      // Both compared every time (`&`, not `&&`): a wrong user costs what a wrong password does.
      const ok = Number(sameSecret(user, settings.login.user)) & Number(sameSecret(password, settings.login.password));
      done(ok ? undefined : new Error('wrong user or password'));
    },
    authenticate: { realm: 'ci-concat-engine dashboard' },
  });
  scope.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done) => {
    scope.basicAuth(req, reply, (err?: Error) => {
      if (!err) {
        done();
        return;
      }
      // basic-auth has set WWW-Authenticate, so a browser asks for the login.
      void reply.code(401).type('text/plain; charset=utf-8').send('401: this dashboard needs its user and password');
    });
  });
  // bull-board's page links Google Fonts: dropped, so the page loads nothing from outside the engine
  // (it works offline, and no third party learns when it is opened); the UI falls back to system fonts.
  scope.addHook('onSend', (_req, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof payload === 'string' && typeof type === 'string' && type.startsWith('text/html')) {
      done(null, payload.replace(EXTERNAL_FONTS, ''));
      return;
    }
    done(null, payload);
  });
  // bull-board's actions send JSON (the CI routes read every body as text); an empty body is none.
  const json = scope.getDefaultJsonParser('error', 'error');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body.toString();
    if (text === '') done(null, undefined);
    else void json(req, text, done);
  });
  await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
}

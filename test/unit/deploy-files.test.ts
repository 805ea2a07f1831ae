// Static checks of the deployment files (Dockerfile, .dockerignore, docker-compose.yml): no Docker engine
// is needed. Each assertion targets a mistake that would break `docker compose up` or the image at run
// time: a wrong service host name, mismatched S3 credentials, a healthcheck that cannot run, a missing
// volume declaration, a COPY of a file that is not in the build context, an env var typo.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EngineMetrics } from '../../src/metrics/engine-metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

// ---------------------------------------------------------------------------------------------------------
// docker-compose.yml helpers
// ---------------------------------------------------------------------------------------------------------

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target?: number | string; published?: number | string })[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean | string };
  profiles?: string[];
  entrypoint?: string | string[];
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown> | null;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;

function service(name: string): Service {
  const s = services[name];
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/**
 * Compose variable interpolation: `${VAR:-default}`, `${VAR-default}`, `${VAR}`, `$VAR` and `$$`.
 * `:-` takes the default when VAR is unset or empty, `-` only when unset; an unset VAR without a
 * default becomes the empty string.
 */
function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, braced: string | undefined, colon: string | undefined, def: string | undefined, bare: string | undefined) => {
      if (braced === undefined && bare === undefined) return '$';
      const name = (braced ?? bare)!;
      const v = env[name];
      if (def !== undefined) {
        if (v === undefined || (colon === ':' && v === '')) return interpolate(def, env);
      }
      return v ?? '';
    },
  );
}

/** A service's environment block as raw (uninterpolated) strings, whichever form it is written in. */
function rawEnv(s: Service): Record<string, string> {
  const e = s.environment;
  if (e === undefined) return {};
  if (Array.isArray(e)) {
    return Object.fromEntries(
      e.map((item) => {
        const i = item.indexOf('=');
        return i < 0 ? [item, ''] : [item.slice(0, i), item.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function resolvedEnv(s: Service, hostEnv: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnv(s)).map(([k, v]) => [k, interpolate(v, hostEnv)]));
}

function commandText(c: string | string[] | undefined): string {
  return c === undefined ? '' : Array.isArray(c) ? c.join(' ') : c;
}

function healthTest(s: Service): string {
  const t = s.healthcheck?.test;
  return Array.isArray(t) ? t.join(' ') : (t ?? '');
}

function hasActiveHealthcheck(s: Service): boolean {
  const h = s.healthcheck;
  if (h === undefined) return false;
  if (h.disable === true || h.disable === 'true') return false;
  const t = Array.isArray(h.test) ? h.test : h.test === undefined ? [] : [h.test];
  return t.length > 0 && t[0] !== 'NONE';
}

/** [hostPort, containerPort] pairs of a service's published ports. */
function publishedPorts(s: Service): [string | undefined, string][] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'number') return [undefined, String(p)];
    if (typeof p === 'object') return [p.published === undefined ? undefined : String(p.published), String(p.target)];
    const parts = interpolate(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = parts[parts.length - 1]!;
    return [parts.length > 1 ? parts[parts.length - 2] : undefined, container];
  });
}

interface Mount {
  source?: string;
  target: string;
  named: boolean;
}

function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v === 'object') {
      return { source: v.source, target: v.target ?? '', named: v.type === 'volume' && v.source !== undefined };
    }
    const parts = v.split(':');
    if (parts.length === 1) return { target: parts[0]!, named: false }; // anonymous volume
    const source = parts[0]!;
    const named = !/^[./~$]/.test(source);
    return { source, target: parts[1]!, named };
  });
}

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on;
  if (d === undefined) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v.condition ?? 'service_started']));
}

const ENGINE_SERVICES = ['api', 'worker'] as const;

/** The environment variables the engine documents (README), plus the two generic ones allowed. */
const DOCUMENTED_ENV = new Set([
  'PORT',
  'DATA_DIR',
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'S3_ENDPOINT',
  'S3_REGION',
  'S3_FORCE_PATH_STYLE',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'CI_SECRET_ID',
  'CI_SECRET_KEY',
  'WORKER_CONCURRENCY',
  'LOG_LEVEL',
  'S3_EVENTS_TOKEN',
  'METRICS_TOKEN',
  'METRICS_PORT',
]);
const GENERIC_ENV = new Set(['TZ', 'NODE_ENV']);

// ---------------------------------------------------------------------------------------------------------
// Dockerfile helpers
// ---------------------------------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue; // comments (also between continuation lines)
    if (line === '' && current === '') continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') logical.push(current.trim());

  const stages: Stage[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    if (m === null) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!;
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (f === null) throw new Error(`cannot parse FROM ${args}`);
      stages.push({ image: f[1]!, name: f[2], instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (stage === undefined) continue; // ARG before the first FROM
    stage.instructions.push({ op, args, stage: stages.length - 1 });
  }
  return stages;
}

/** Exec form (JSON array) or shell form of CMD/HEALTHCHECK CMD/ENTRYPOINT, as argv-ish words. */
function execWords(args: string): string[] {
  const a = args.trim();
  if (a.startsWith('[')) return JSON.parse(a) as string[];
  return a.split(/\s+/);
}

/** COPY/ADD arguments without flags, the last being the destination. */
function copyParts(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.trim().split(/\s+/);
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (const w of words) {
    const f = /^--([a-z-]+)(?:=(.*))?$/.exec(w);
    if (f !== null) flags[f[1]!] = f[2] ?? 'true';
    else rest.push(w);
  }
  return { flags, sources: rest.slice(0, -1), dest: rest[rest.length - 1] ?? '' };
}

function globToRegExp(glob: string): RegExp {
  const esc = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${esc}$`);
}

/** Repo paths a COPY source names (a glob is expanded in its directory). */
function expandSource(src: string): string[] {
  const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
  if (!/[*?]/.test(clean)) return existsSync(path.join(ROOT, clean)) ? [clean] : [];
  const dir = path.dirname(clean);
  const re = globToRegExp(path.basename(clean));
  return readdirSync(path.join(ROOT, dir))
    .filter((f) => re.test(f))
    .map((f) => (dir === '.' ? f : `${dir}/${f}`));
}

/** True when .dockerignore excludes the path (simple patterns: names, dir/ prefixes, * globs, ! negation). */
function dockerIgnored(patterns: string[], rel: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    const p = (neg ? raw.slice(1) : raw).replace(/^\.?\//, '').replace(/\/$/, '');
    const re = globToRegExp(p);
    const segments = rel.split('/');
    const hit = segments.some((_, i) => re.test(segments.slice(0, i + 1).join('/')));
    if (hit) ignored = !neg;
  }
  return ignored;
}

const dockerfileText = read('Dockerfile');
const stages = parseDockerfile(dockerfileText);
const runtime = stages[stages.length - 1]!;
const runtimeOps = (op: string): Instruction[] => runtime.instructions.filter((i) => i.op === op);
const dockerignore = read('.dockerignore')
  .split(/\r?\n/)
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/** ENV values set in the runtime stage (both `ENV A=b C=d` and legacy `ENV A b`). */
function runtimeEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of runtimeOps('ENV')) {
    if (/^[A-Za-z_][A-Za-z0-9_]*\s+[^=]*$/.test(i.args) && !i.args.includes('=')) {
      const [k, ...v] = i.args.split(/\s+/);
      out[k!] = v.join(' ');
      continue;
    }
    for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------

describe('interpolate (the test helper resolving ${VAR:-default})', () => {
  it('follows compose rules', () => {
    expect(interpolate('${A:-x}')).toBe('x');
    expect(interpolate('${A:-x}', { A: '' })).toBe('x');
    expect(interpolate('${A-x}', { A: '' })).toBe('');
    expect(interpolate('${A:-x}', { A: 'y' })).toBe('y');
    expect(interpolate('a$$b${B}')).toBe('a$b');
    expect(interpolate('$A/c', { A: 'z' })).toBe('z/c');
  });
});

describe('docker-compose.yml', () => {
  it('defines the redis, minio, api and worker services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'minio', 'api', 'worker']));
  });

  it('runs Redis 7 with append-only persistence and noeviction (BullMQ needs every key kept)', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7(\b|[.-])/);
    const cmd = commandText(redis.command);
    expect(cmd).toMatch(/--appendonly\s+yes/);
    expect(cmd).toMatch(/--maxmemory-policy\s+noeviction/);
    expect(cmd).not.toMatch(/--maxmemory-policy\s+(?!noeviction)\S/);
    expect(mounts(redis).some((m) => m.named && m.target === '/data')).toBe(true);
    expect(healthTest(redis)).toMatch(/redis-cli\b.*\bping\b/);
  });

  it('runs MinIO with its console on 9001 and a healthcheck that works in the minio/minio image', () => {
    const minio = service('minio');
    expect(minio.image).toMatch(/^(quay\.io\/)?minio\/minio(:|$)/);
    const cmd = commandText(minio.command);
    expect(cmd).toMatch(/\bserver\s+\/data\b/);
    expect(cmd).toMatch(/--console-address\s+"?:9001"?/);
    expect(publishedPorts(minio).map(([, c]) => c)).toEqual(expect.arrayContaining(['9000', '9001']));
    expect(mounts(minio).some((m) => m.named && m.target === '/data')).toBe(true);
    // The image is UBI-micro based and ships neither curl nor wget since late 2023, but ships `mc`.
    const test = healthTest(minio);
    expect(test).not.toMatch(/\b(curl|wget)\b/);
    expect(test).toMatch(/\bmc\s+ready\s+local\b/);
    // Root credentials: overridable, with non-empty defaults; MinIO refuses a password under 8 chars.
    const env = rawEnv(minio);
    expect(env.MINIO_ROOT_USER).toMatch(/^\$\{MINIO_ROOT_USER:-.+\}$/);
    expect(env.MINIO_ROOT_PASSWORD).toMatch(/^\$\{MINIO_ROOT_PASSWORD:-.+\}$/);
    const resolved = resolvedEnv(minio);
    expect((resolved.MINIO_ROOT_USER ?? '').length).toBeGreaterThanOrEqual(3);
    expect((resolved.MINIO_ROOT_PASSWORD ?? '').length).toBeGreaterThanOrEqual(8);
  });

  it('publishes the API on 8080 and health-checks it on /healthz with node (no curl in slim images)', () => {
    const api = service('api');
    expect(publishedPorts(api)).toContainEqual(['8080', '8080']);
    const test = healthTest(api);
    expect(test).toMatch(/\/healthz\b/);
    expect(test).toMatch(/^CMD(-SHELL)? node\b/);
    expect(test).not.toMatch(/\b(curl|wget)\b/);
    const url = /https?:\/\/[^'"`\s]+\/healthz/.exec(test)?.[0];
    expect(url).toBeDefined();
    const port = new URL(url!).port;
    expect(port).toBe(resolvedEnv(api).PORT ?? '8080');
    expect(commandText(api.command)).toMatch(/dist\/src\/api-main\.js/);
  });

  it('runs the worker with concat-worker.js, no published port, and without the API healthcheck', () => {
    const worker = service('worker');
    expect(commandText(worker.command)).toMatch(/dist\/workers\/concat-worker\.js/);
    expect(worker.ports ?? []).toEqual([]);
    // The image's HEALTHCHECK probes /healthz, which the worker does not serve: it must be overridden.
    expect(hasActiveHealthcheck(worker) ? healthTest(worker) : '').not.toMatch(/healthz/);
    if (!hasActiveHealthcheck(worker)) expect(worker.healthcheck?.disable).toBe(true);
    const n = Number(resolvedEnv(worker).WORKER_CONCURRENCY);
    expect(Number.isInteger(n) && n >= 1 && n <= 64).toBe(true);
  });

  it('builds api and worker from this repository as the same image', () => {
    const ctx = (s: Service): string | undefined => (typeof s.build === 'string' ? s.build : s.build?.context);
    const api = service('api');
    const worker = service('worker');
    expect(ctx(api)).toMatch(/^\.\/?$/);
    expect(ctx(worker) ?? ctx(api)).toBe(ctx(api));
    if (api.image !== undefined || worker.image !== undefined) expect(worker.image).toBe(api.image);
  });

  describe.each(ENGINE_SERVICES)('%s environment', (name) => {
    const s = service(name);

    it('points REDIS_URL at the redis service', () => {
      const u = new URL(resolvedEnv(s).REDIS_URL ?? '');
      expect(u.protocol).toBe('redis:');
      expect(services[u.hostname]?.image).toMatch(/^redis:/);
      expect(u.port === '' ? '6379' : u.port).toBe('6379');
    });

    it('points S3_ENDPOINT at the minio service on its API port, path-style', () => {
      const env = resolvedEnv(s);
      const u = new URL(env.S3_ENDPOINT ?? '');
      expect(u.protocol).toBe('http:');
      expect(services[u.hostname]?.image).toMatch(/minio\/minio/);
      expect(u.port).toBe('9000');
      // MinIO listens on :9000 unless told otherwise with --address.
      const minioCmd = commandText(service(u.hostname).command);
      const addr = /--address[\s=]+"?([^\s"]*)/.exec(minioCmd)?.[1];
      expect(addr === undefined || addr.endsWith(':9000')).toBe(true);
      expect(env.S3_FORCE_PATH_STYLE).toBe('true');
      expect(env.S3_REGION ?? '').not.toBe('');
    });

    it('uses the MinIO root credentials as its S3 keys, with defaults and with overrides', () => {
      const minio = service('minio');
      const overrides: Record<string, string>[] = [{}, { MINIO_ROOT_USER: 'override-user', MINIO_ROOT_PASSWORD: 'override-password' }];
      for (const hostEnv of overrides) {
        const env = resolvedEnv(s, hostEnv);
        const root = resolvedEnv(minio, hostEnv);
        expect(env.S3_ACCESS_KEY_ID).toBe(root.MINIO_ROOT_USER);
        expect(env.S3_SECRET_ACCESS_KEY).toBe(root.MINIO_ROOT_PASSWORD);
        expect(env.S3_ACCESS_KEY_ID).not.toBe('');
      }
    });

    it('sets both CI signing credentials, overridable with non-empty defaults', () => {
      const raw = rawEnv(s);
      expect(raw.CI_SECRET_ID).toMatch(/^\$\{CI_SECRET_ID:-.+\}$/);
      expect(raw.CI_SECRET_KEY).toMatch(/^\$\{CI_SECRET_KEY:-.+\}$/);
      expect(resolvedEnv(s, { CI_SECRET_ID: 'AKIDx', CI_SECRET_KEY: 'k' })).toMatchObject({ CI_SECRET_ID: 'AKIDx', CI_SECRET_KEY: 'k' });
    });

    it('sets only documented variables, each of which the engine reads', () => {
      const names = Object.keys(rawEnv(s));
      const unknown = names.filter((n) => !DOCUMENTED_ENV.has(n) && !GENERIC_ENV.has(n));
      expect(unknown).toEqual([]);
      const config = read('src/config.ts');
      const unread = names.filter((n) => DOCUMENTED_ENV.has(n) && !config.includes(`'${n}'`));
      expect(unread).toEqual([]);
      if (rawEnv(s).LOG_LEVEL !== undefined) {
        expect(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).toContain(resolvedEnv(s).LOG_LEVEL);
      }
    });

    it('waits for healthy redis and minio', () => {
      expect(dependsOn(s)).toMatchObject({ redis: 'service_healthy', minio: 'service_healthy' });
    });
  });

  it('has an `ha` profile: a replica of the redis service and three sentinels with a quorum of 2 that monitor it', () => {
    const replica = service('redis-replica');
    expect(replica.profiles).toEqual(['ha']);
    expect(commandText(replica.command)).toMatch(/--replicaof\s+redis\s+6379/);
    expect(commandText(replica.command)).toMatch(/--maxmemory-policy\s+noeviction/);
    for (const name of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const s = service(name);
      expect(s.profiles).toEqual(['ha']);
      const script = commandText(s.entrypoint);
      expect(script).toMatch(/sentinel monitor mymaster redis 6379 2/);
      expect(script).toMatch(/sentinel resolve-hostnames yes/);
      expect(script).toMatch(/--sentinel/);
    }
    for (const s of [service('api'), service('worker')]) {
      expect(rawEnv(s).REDIS_SENTINELS).toBe('${REDIS_SENTINELS:-}');
      // REDIS_URL= in .env switches the engine to the sentinels.
      expect(resolvedEnv(s, { REDIS_URL: '' }).REDIS_URL).toBe('');
      expect(resolvedEnv(s).REDIS_URL).toBe('redis://redis:6379');
    }
  });

  it('uses service_healthy for every dependency that has a healthcheck, and only existing services', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        const target = services[dep];
        expect(target, `${name} depends on unknown service ${dep}`).toBeDefined();
        if (target !== undefined && hasActiveHealthcheck(target)) {
          expect(condition, `${name} -> ${dep}`).toBe('service_healthy');
        }
        if (condition === 'service_healthy') {
          expect(target !== undefined && hasActiveHealthcheck(target), `${dep} has no healthcheck`).toBe(true);
        }
      }
    }
  });

  it('declares every named volume it uses, and uses every one it declares', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = new Set(
      Object.values(services).flatMap((s) =>
        mounts(s)
          .filter((m) => m.named)
          .map((m) => m.source!),
      ),
    );
    expect(declared.sort()).toEqual([...used].sort());
  });

  it("mounts a volume at the worker's DATA_DIR for its temp files", () => {
    const worker = service('worker');
    const dataDir = resolvedEnv(worker).DATA_DIR ?? runtimeEnv().DATA_DIR;
    expect(dataDir).toMatch(/^\//);
    expect(mounts(worker).some((m) => m.target === dataDir)).toBe(true);
  });
});

describe('Dockerfile', () => {
  it('is a multi-stage build on Node 22 (current LTS), Debian bookworm-slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const external = stages.filter((s) => !stages.some((o) => o.name !== undefined && o.name === s.image));
    for (const s of external) expect(s.image).toMatch(/^node:22-/);
    expect(runtime.image).toBe('node:22-bookworm-slim');
  });

  it('builds with npm ci and npm run build in a builder stage', () => {
    const builder = stages.find((s) => s !== runtime && s.instructions.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
    expect(builder).toBeDefined();
    const runs = builder!.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    const build = runs.findIndex((r) => /\bnpm run build\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(ci).toBeLessThan(build);
    expect(runs[ci]).not.toMatch(/--omit=dev|--production/);
  });

  it('installs ffmpeg and fonts-noto-cjk with apt and removes the apt lists in the same layer', () => {
    const apt = runtimeOps('RUN').find((i) => /apt-get\s+(-\S+\s+)*install/.test(i.args));
    expect(apt).toBeDefined();
    const args = apt!.args;
    expect(args).toMatch(/apt-get\s+update/);
    expect(args).toMatch(/\bffmpeg\b/);
    expect(args).toMatch(/\bfonts-noto-cjk\b/);
    expect(args).toMatch(/\bfonts-liberation\b/);
    expect(args).toMatch(/rm\s+-rf\s+\/var\/lib\/apt\/lists/);
  });

  it('installs only production dependencies in the runtime stage and copies dist from the builder', () => {
    const runs = runtimeOps('RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm (run )?build\b/.test(r))).toBe(false);
    const fromBuilder = runtimeOps('COPY')
      .map((i) => copyParts(i.args))
      .filter((c) => c.flags.from !== undefined);
    expect(fromBuilder.some((c) => c.sources.some((s) => /(^|\/)dist\/?$/.test(s)))).toBe(true);
    for (const c of fromBuilder) expect(stages.some((s) => s.name === c.flags.from)).toBe(true);
  });

  it('runs as a non-root user from before the CMD', () => {
    const all = runtime.instructions;
    const userIdx = all.map((i) => i.op).lastIndexOf('USER');
    const cmdIdx = all.map((i) => i.op).lastIndexOf('CMD');
    expect(userIdx).toBeGreaterThanOrEqual(0);
    expect(userIdx).toBeLessThan(cmdIdx);
    const user = all[userIdx]!.args.split(':')[0];
    expect(user).not.toMatch(/^(root|0)$/);
    expect(user).toBe('node');
  });

  it('makes DATA_DIR writable by that user', () => {
    const dataDir = runtimeEnv().DATA_DIR;
    expect(dataDir).toMatch(/^\//);
    expect(runtimeOps('RUN').some((i) => i.args.includes(dataDir!) && /chown\s+(-R\s+)?node(:node)?\b/.test(i.args))).toBe(true);
  });

  it('health-checks /healthz with node, exposes 8080 and runs the API by default', () => {
    const hc = runtimeOps('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const hcArgs = hc[0]!.args;
    const cmdAt = hcArgs.indexOf('CMD');
    expect(cmdAt).toBeGreaterThanOrEqual(0);
    const words = execWords(hcArgs.slice(cmdAt + 3));
    expect(words[0]).toBe('node');
    expect(words.join(' ')).toMatch(/\/healthz\b/);
    expect(words.join(' ')).not.toMatch(/\b(curl|wget)\b/);

    expect(runtimeOps('EXPOSE').flatMap((i) => i.args.split(/\s+/))).toContain('8080');

    const cmd = runtimeOps('CMD');
    expect(cmd.length).toBeGreaterThanOrEqual(1);
    const argv = execWords(cmd[cmd.length - 1]!.args);
    expect(argv.join(' ')).toMatch(/dist\/src\/api-main\.js/);
    // The same command `npm run api` runs.
    expect(argv.join(' ')).toBe(pkg.scripts.api);
  });

  it('COPYs only files that exist in the build context (not excluded by .dockerignore)', () => {
    const sources = stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY' || i.op === 'ADD')
      .map((i) => copyParts(i.args))
      .filter((c) => c.flags.from === undefined)
      .flatMap((c) => c.sources);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    for (const src of sources) {
      const files = expandSource(src);
      expect(files, `COPY ${src}: nothing in the repository`).not.toEqual([]);
      for (const f of files) expect(dockerIgnored(dockerignore, f), `COPY ${f}: excluded by .dockerignore`).toBe(false);
    }
    // Everything `npm run build` compiles is in the context.
    const buildTsconfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const dir of buildTsconfig.include) {
      expect(
        sources.map((s) => s.replace(/^\.\//, '').replace(/\/$/, '')),
        `${dir} is compiled but not copied`,
      ).toContain(dir);
    }
    for (const f of ['tsconfig.json', 'tsconfig.build.json']) {
      expect(sources.flatMap(expandSource)).toContain(f);
    }
  });

  it("ships the stores' Lua scripts: in the build context, and copied into dist by npm run build", () => {
    const scripts = readdirSync(path.join(ROOT, 'src/store/scripts')).filter((f) => f.endsWith('.lua'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const f of scripts) expect(dockerIgnored(dockerignore, `src/store/scripts/${f}`), f).toBe(false);
    const builderSources = stages
      .filter((s) => s !== runtime)
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY')
      .flatMap((i) => copyParts(i.args).sources.map((src) => src.replace(/^\.\//, '').replace(/\/$/, '')));
    expect(builderSources).toContain('src');
    // Every build that produces dist (npm run build, and the benchmarks' build) copies them beside it.
    expect(pkg.scripts.build).toMatch(/&& npm run --silent build:assets$/);
    expect(read('scripts/bench.sh')).toMatch(/^npm run --silent build:assets$/m);
    execFileSync('npm', ['run', '--silent', 'build:assets'], { cwd: ROOT });
    const copied = readdirSync(path.join(ROOT, 'dist/src/store/scripts')).filter((f) => f.endsWith('.lua'));
    expect(copied.sort()).toEqual(scripts.sort());
    for (const f of scripts) {
      expect(read(`dist/src/store/scripts/${f}`), f).toBe(read(`src/store/scripts/${f}`));
    }
  });

  it('runs entry points that the build produces (dist/<path>.js from <path>.ts)', () => {
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsconfig.compilerOptions.outDir.replace(/^\.\//, '')).toBe('dist');
    expect(tsconfig.compilerOptions.rootDir).toBe('.');
    const entries = [
      ...runtimeOps('CMD').flatMap((i) => execWords(i.args)),
      ...Object.values(services).flatMap((s) => (Array.isArray(s.command) ? s.command : commandText(s.command).split(/\s+/))),
    ].filter((w) => /^dist\/.*\.js$/.test(w));
    expect(entries).toEqual(expect.arrayContaining(['dist/src/api-main.js', 'dist/workers/concat-worker.js']));
    for (const e of entries) {
      expect(existsSync(path.join(ROOT, e.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), e).toBe(true);
    }
    expect(commandText(service('worker').command)).toBe(pkg.scripts.worker);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, data, VCS metadata and test outputs out of the context', () => {
    for (const p of ['node_modules', 'dist', 'data', '.git', 'coverage']) {
      expect(dockerIgnored(dockerignore, p), p).toBe(true);
    }
    for (const p of ['package.json', 'package-lock.json', 'src/api-main.ts', 'workers/concat-worker.ts']) {
      expect(dockerIgnored(dockerignore, p), p).toBe(false);
    }
  });
});

describe('docker-compose.yml upload notifications (workflow triggers)', () => {
  const minio = resolvedEnv(service('minio'));
  const api = resolvedEnv(service('api'));

  it("points MinIO's webhook target at the API's S3 event endpoint, with the token the API expects", () => {
    expect(minio.MINIO_NOTIFY_WEBHOOK_ENABLE_ENGINE).toBe('on');
    const u = new URL(minio.MINIO_NOTIFY_WEBHOOK_ENDPOINT_ENGINE ?? '');
    expect(u.hostname).toBe('api');
    expect(publishedPorts(service('api')).map(([, c]) => c)).toContain(u.port);
    expect(u.pathname).toBe('/s3-events');
    expect(read('src/api/routes/workflow-runs.ts')).toContain(`S3_EVENTS_PATH = '${u.pathname}'`);
    expect(minio.MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_ENGINE).toBeTruthy();
    expect(minio.MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_ENGINE).toBe(api.S3_EVENTS_TOKEN);
    expect(resolvedEnv(service('minio'), { S3_EVENTS_TOKEN: 'x1' }).MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_ENGINE).toBe(
      resolvedEnv(service('api'), { S3_EVENTS_TOKEN: 'x1' }).S3_EVENTS_TOKEN,
    );
    expect(minio.MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_ENGINE).toMatch(/^\/data\//);
  });

  it('subscribes the configured buckets to that target once MinIO is healthy', () => {
    const setup = service('minio-setup');
    expect(setup.image).toMatch(/^minio\/mc/);
    expect(dependsOn(setup)).toEqual({ minio: 'service_healthy' });
    const script = commandText((setup as { entrypoint?: string | string[] }).entrypoint);
    expect(script).toContain('mc alias set local http://minio:9000');
    expect(script).toMatch(/mc event add --ignore-existing --event put "local\/\$\$b" arn:minio:sqs::ENGINE:webhook/);
    expect(resolvedEnv(setup).ENGINE_BUCKETS).toBeTruthy();
  });
});

describe('docker-compose.yml metrics profile (Prometheus and Grafana)', () => {
  const METRICS_SERVICES = ['prometheus', 'grafana'];
  const prometheusConfig = parse(read('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: {
      job_name: string;
      metrics_path?: string;
      static_configs?: { targets: string[] }[];
      dns_sd_configs?: { names: string[]; type: string; port: number }[];
    }[];
  };
  const scrapeJob = (name: string) => {
    const job = prometheusConfig.scrape_configs.find((j) => j.job_name === name);
    if (!job) throw new Error(`prometheus.yml has no job ${name}`);
    return job;
  };
  /** Where a bind mount of the repository lands in the service: repo path -> container path. */
  const bindMounts = (name: string): Map<string, string> =>
    new Map(
      mounts(service(name))
        .filter((m) => !m.named && m.source !== undefined)
        .map((m) => [m.source!.replace(/^\.\//, ''), m.target]),
    );

  it('puts Prometheus and Grafana, and only them, in the metrics profile: off by default', () => {
    const profiled = Object.entries(services)
      .filter(([, s]) => (s.profiles ?? []).includes('metrics'))
      .map(([name, s]) => [name, s.profiles]);
    expect(profiled).toEqual(METRICS_SERVICES.map((name) => [name, ['metrics']]));
    // Every other service either runs by default or belongs to the ha profile.
    const others = Object.values(services).filter((s) => s.profiles !== undefined && !s.profiles.includes('metrics'));
    expect(others.every((s) => JSON.stringify(s.profiles) === JSON.stringify(['ha']))).toBe(true);
    for (const name of METRICS_SERVICES) expect(service(name).image).toMatch(/^(prom\/prometheus|grafana\/grafana):v?\d+\.\d+\.\d+$/);
  });

  it('bind-mounts only files and folders that are in the repository', () => {
    for (const name of Object.keys(services)) {
      for (const source of bindMounts(name).keys()) expect(existsSync(path.join(ROOT, source)), `${name}: ${source}`).toBe(true);
    }
    expect(bindMounts('prometheus').get('deploy/prometheus/prometheus.yml')).toBe(
      /--config\.file=(\S+)/.exec(commandText(service('prometheus').command))?.[1],
    );
  });

  it('scrapes the api on its port and the worker on its METRICS_PORT, at /metrics', () => {
    const api = scrapeJob('ci-api');
    expect(api.metrics_path ?? '/metrics').toBe('/metrics');
    const [host, port] = api.static_configs![0]!.targets[0]!.split(':');
    expect(host).toBe('api');
    expect(port).toBe(resolvedEnv(service('api')).PORT);
    expect(read('src/api/routes/metrics.ts')).toContain(`METRICS_PATH = '/metrics'`);

    const worker = scrapeJob('ci-worker');
    expect(worker.metrics_path ?? '/metrics').toBe('/metrics');
    const sd = worker.dns_sd_configs![0]!;
    expect(sd.names).toEqual(['worker']);
    expect(String(sd.port)).toBe(resolvedEnv(service('worker')).METRICS_PORT);
    // No token by default: the scrapes above need none.
    expect(resolvedEnv(service('api')).METRICS_TOKEN).toBe('');
    expect(resolvedEnv(service('worker'), { METRICS_TOKEN: 't' }).METRICS_TOKEN).toBe('t');
  });

  it("provisions Prometheus as Grafana's data source and the engine's dashboard from the repository", () => {
    const grafana = bindMounts('grafana');
    const provisioning = grafana.get('deploy/grafana/provisioning');
    expect(provisioning).toBe('/etc/grafana/provisioning');
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    const ds = datasources.datasources[0]!;
    expect(ds.type).toBe('prometheus');
    const u = new URL(ds.url);
    expect(u.hostname).toBe('prometheus');
    expect(publishedPorts(service('prometheus')).map(([, c]) => c)).toContain(u.port);

    const providers = parse(read('deploy/grafana/provisioning/dashboards/ci-engine.yml')) as { providers: { options: { path: string } }[] };
    const folder = providers.providers[0]!.options.path;
    expect(grafana.get('deploy/grafana/ci-engine.json')).toBe(`${folder}/ci-engine.json`);
    expect(resolvedEnv(service('grafana')).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${folder}/ci-engine.json`);

    const dashboard = JSON.parse(read('deploy/grafana/ci-engine.json')) as {
      uid: string;
      panels: { type: string; datasource?: { uid: string } }[];
    };
    expect(dashboard.uid).toBe('ci-engine');
    for (const p of dashboard.panels.filter((panel) => panel.type !== 'row')) expect(p.datasource?.uid).toBe(ds.uid);
  });

  it('dashboard queries name only metrics the engine serves, with labels they have', async () => {
    const dashboard = JSON.parse(read('deploy/grafana/ci-engine.json')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const served = new Map((await new EngineMetrics().registry.getMetricsAsJSON()).map((m) => [m.name, m] as const));
    const labelsOf = (name: string): Set<string> => {
      const names = new Set(['le', 'job', 'instance']);
      const m = served.get(name) as { aggregator?: string; values?: { labels: Record<string, unknown> }[] } | undefined;
      for (const v of m?.values ?? []) for (const l of Object.keys(v.labels)) names.add(l);
      return names;
    };
    const declared = read('src/metrics/engine-metrics.ts');
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(10);
    for (const { panel, expr } of exprs) {
      const names = expr.match(/\bci_[a-z0-9_]+/g) ?? [];
      expect(names.length, panel).toBeGreaterThan(0);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const family = served.has(name) ? name : base;
        expect(served.has(family), `${panel}: ${name}`).toBe(true);
        // Labels in selectors and `by (...)` clauses: the engine's own metrics declare them in labelNames.
        if (!/^ci_(process|nodejs)_/.test(family)) {
          const block = new RegExp(`name: '${family}'[\\s\\S]*?registers`).exec(declared)?.[0] ?? '';
          const own = new Set([...(/labelNames: \[([^\]]*)\]/.exec(block)?.[1] ?? '').matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!));
          const used = [...expr.matchAll(/by \(([^)]*)\)|\{([^}]*)\}/g)].flatMap((m) =>
            (m[1] ?? m[2] ?? '')
              .split(',')
              .map((l) => l.trim().split(/[=!~]/)[0]!.trim())
              .filter((l) => l !== ''),
          );
          for (const l of used) expect(own.has(l) || labelsOf(family).has(l), `${panel}: label ${l} of ${family}`).toBe(true);
        }
      }
    }
  });
});

// scripts/ensure-deps.sh as a user meets it. The script runs on a copy of a tiny project, as a non-root
// user (a stand-in `id` first on PATH) so it reports what is missing instead of installing it, and with a
// stand-in `npm` that records how it was called. ffmpeg, redis-server and the fonts are the real machine's
// (npm test has made sure of them before any test runs).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/ensure-deps.sh', import.meta.url);

let dir: string;
let bin: string;
const npmLog = (): string => path.join(dir, 'npm-calls.txt');

function writeExecutable(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

function runScript(args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('bash', [path.join(dir, 'scripts', 'ensure-deps.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, ...env },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A project declaring `declared`, with `installed` present under node_modules. */
function project(declared: string[], installed: string[]): void {
  const deps = Object.fromEntries(declared.map((n) => [n, '1.0.0']));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'p', dependencies: deps }));
  for (const n of installed) {
    mkdirSync(path.join(dir, 'node_modules', n), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules', n, 'package.json'), JSON.stringify({ name: n }));
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ensure-deps-'));
  bin = path.join(dir, 'bin');
  mkdirSync(path.join(dir, 'scripts'));
  mkdirSync(bin);
  copyFileSync(SCRIPT, path.join(dir, 'scripts', 'ensure-deps.sh'));
  writeExecutable(path.join(bin, 'id'), '#!/bin/sh\necho 1000\n');
  writeExecutable(path.join(bin, 'npm'), `#!/bin/sh\necho "$@" >> '${npmLog()}'\n`);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/ensure-deps.sh', () => {
  it('with --test (what npm test runs), a missing chromium stops it with the apt-get command to run', () => {
    project(['a'], ['a']);
    const r = runScript(['--test'], { CHROMIUM_PATH: path.join(dir, 'no-chromium') });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/Missing system packages: .*\bchromium\b/);
    expect(r.out).toMatch(/sudo apt-get update && sudo apt-get install -y .*\bchromium\b/);
  });

  it('with --test and chromium present, it passes', () => {
    project(['a'], ['a']);
    const fake = path.join(bin, 'chromium');
    writeExecutable(fake, '#!/bin/sh\n');
    const r = runScript(['--test'], { CHROMIUM_PATH: fake });
    expect(r.out).not.toContain('chromium');
    expect(r.status).toBe(0);
  });

  it('without --test (npm start, the bench), chromium is not asked for', () => {
    project(['a'], ['a']);
    const r = runScript([], { CHROMIUM_PATH: path.join(dir, 'no-chromium') });
    expect(r.out).not.toContain('chromium');
    expect(r.status).toBe(0);
    expect(existsSync(npmLog())).toBe(false);
  });

  it('runs npm ci when a declared package is not installed (one added since the last install)', () => {
    project(['a', 'b'], ['a']);
    const r = runScript([]);
    expect(r.status).toBe(0);
    expect(r.out).toContain('missing: b');
    expect(readFileSync(npmLog(), 'utf8').trim()).toBe('ci --no-audit --no-fund');
  });
});

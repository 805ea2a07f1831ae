// The layer rules of docs/architecture.md, checked on the source itself: every relative import of every
// .ts file under src/, workers/ and cli/ must go down the layer table below, and no chain of imports may come
// back to where it started. A failure lists every offending edge (or cycle) so it can be fixed in one go.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Which top folders of src/ each top folder may import (besides itself). The root files of src/ that
 * are not entry points (config.ts, logger.ts, process-lifecycle.ts) and the configuration's own helpers
 * under config/ are leaves: anyone may import them, and they import only each other and domain/.
 */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  api: ['workflows', 'queue', 'store', 'storage', 'wire', 'net', 'metrics', 'domain'],
  worker: ['media', 'storage', 'queue', 'store', 'workflows', 'metrics', 'domain'],
  callbacks: ['wire', 'store', 'queue', 'net', 'domain'],
  workflows: ['queue', 'store', 'storage', 'wire', 'domain'],
  queue: ['store', 'domain'],
  store: ['domain'],
  storage: ['net', 'domain'],
  media: ['domain'],
  // The Prometheus registry and its metric definitions; fed through narrow hooks, reads nothing itself.
  metrics: ['domain'],
  wire: ['domain'],
  net: ['domain'],
  domain: [],
  // The embedded Redis and S3 servers `npm start` runs; only main.ts starts them.
  embedded: [],
  // Ambient declarations for untyped packages.
  types: [],
};

/** The composition root and the processes: they wire everything together, so they may import anything. */
const ENTRY_POINTS = ['src/main.ts', 'src/api-main.ts', 'src/engine.ts'];
const ENTRY_FOLDERS = ['workers/'];

/**
 * Entry points that are clients of the HTTP API, not parts of the engine: they import only their own
 * folder (and npm packages), so they work against any engine, and nothing imports them.
 */
const CLIENT_FOLDERS = ['cli/'];

/** Folders of src/ whose files count as leaves, like the root files. */
const LEAF_FOLDERS = ['config'];

/** What a file is, for the layer check. */
type Place = { kind: 'entry' } | { kind: 'client'; folder: string } | { kind: 'leaf' } | { kind: 'layer'; layer: string };

const ROOT = resolve(import.meta.dirname, '../..');

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTsFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function toRepoPath(path: string): string {
  return relative(ROOT, path).split('\\').join('/');
}

function placeOf(file: string): Place {
  const client = CLIENT_FOLDERS.find((folder) => file.startsWith(folder));
  if (client !== undefined) return { kind: 'client', folder: client };
  if (ENTRY_POINTS.includes(file) || ENTRY_FOLDERS.some((folder) => file.startsWith(folder))) return { kind: 'entry' };
  const parts = file.split('/');
  if (parts.length === 2 || LEAF_FOLDERS.includes(parts[1] ?? '')) return { kind: 'leaf' };
  return { kind: 'layer', layer: parts[1] ?? '' };
}

/** Resolves a relative specifier (`./x.js`, `../domain/y.js`) to a repository path of a .ts file, if it is one of ours. */
function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = resolve(ROOT, dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.d.ts'), `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return found === undefined ? undefined : toRepoPath(found);
}

/** Static `import … from`, `import type`, `export … from`, side-effect and dynamic imports, relative ones only. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  const targets = new Set<string>();
  for (const imported of info.importedFiles) {
    if (!imported.fileName.startsWith('.')) continue;
    const target = resolveImport(file, imported.fileName);
    if (target !== undefined) targets.add(target);
  }
  return [...targets].sort();
}

function mayImport(from: string, to: string): boolean {
  const source = placeOf(from);
  const target = placeOf(to);
  if (source.kind === 'client') return target.kind === 'client' && target.folder === source.folder;
  if (target.kind === 'client') return false;
  if (source.kind === 'entry') return true;
  if (target.kind === 'entry') return false;
  if (target.kind === 'leaf') return true;
  if (source.kind === 'leaf') return target.layer === 'domain';
  if (source.layer === target.layer) return true;
  const allowed = LAYERS[source.layer];
  return allowed?.includes(target.layer) ?? false;
}

/** Every elementary cycle found by a depth-first walk, each written as a path that ends where it starts. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const walk = (node: string): void => {
    seen.add(node);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!seen.has(next)) walk(next);
      else if (!done.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    }
    stack.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!seen.has(node)) walk(node);
  return cycles;
}

const files = [...listTsFiles(join(ROOT, 'src')), ...listTsFiles(join(ROOT, 'workers')), ...listTsFiles(join(ROOT, 'cli'))]
  .map(toRepoPath)
  .sort();
const graph = new Map(files.map((file) => [file, importsOf(file)] as const));

describe('architecture', () => {
  it('every top folder of src/ is in the layer table', () => {
    const folders = new Set(files.map(placeOf).flatMap((place) => (place.kind === 'layer' ? [place.layer] : [])));
    expect([...folders].filter((folder) => !(folder in LAYERS))).toEqual([]);
  });

  it('imports only go down the layer table', () => {
    const offending: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) if (!mayImport(from, to)) offending.push(`${from} -> ${to}`);
    }
    expect(offending, `imports that break the layer table:\n  ${offending.join('\n  ')}\n`).toEqual([]);
  });

  it('the command line imports nothing of the engine, and the engine nothing of it', () => {
    const cliFiles = files.filter((file) => file.startsWith('cli/'));
    expect(cliFiles).toContain('cli/main.ts');
    expect(mayImport('cli/main.ts', 'src/config.ts')).toBe(false);
    expect(mayImport('cli/main.ts', 'cli/sign.ts')).toBe(true);
    expect(mayImport('src/engine.ts', 'cli/sign.ts')).toBe(false);
  });

  it('has no import cycle', () => {
    const cycles = findCycles(graph).map((cycle) => cycle.join(' -> '));
    expect(cycles, `import cycles:\n  ${cycles.join('\n  ')}\n`).toEqual([]);
  });
});

// Reading CI query strings: single values, the pageNumber/pageSize pair of the search APIs, and the
// size/orderByTime/states/nextToken/creation-time parameters of the list APIs (jobs, workflow
// executions), so every API reads and refuses them with the same words.
import { isId, type IdKind } from '../domain/ids.js';
import { parseCiTime } from '../domain/time.js';
import { invalidArgument } from './errors.js';

export type Query = Record<string, string | string[] | undefined>;

/** The last value of a parameter (a repeated parameter counts once). */
export function single(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A comma list (`a, b,,a`): trimmed, empty entries dropped, each value once, in first-seen order. */
export function commaList(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

export function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

function positiveInt(q: Query, name: string, def: number, max: number): number {
  const v = nonEmpty(single(q, name));
  if (v === undefined) return def;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= max)) throw invalidArgument(name, `must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  return n;
}

export function pageParams(q: Query): { pageNumber: number; pageSize: number } {
  return { pageNumber: positiveInt(q, 'pageNumber', 1, 1_000_000), pageSize: positiveInt(q, 'pageSize', 10, 100) };
}

/** A creation-time bound (`2022-06-27T15:23:10+0800`) in epoch ms; a '+' sent unencoded arrives as a space. */
function timeParam(q: Query, name: string): number | undefined {
  const v = nonEmpty(single(q, name));
  if (v === undefined) return undefined;
  const ms = parseCiTime(v.replace(' ', '+'));
  if (ms === undefined) throw invalidArgument(name, `must look like 2022-06-27T15:23:10+0800, got ${JSON.stringify(v)}`);
  return ms;
}

/** `states`: All (or nothing) lists every state, else a comma list of known states. */
function statesParam<S extends string>(q: Query, known: readonly S[]): S[] | undefined {
  const raw = single(q, 'states');
  if (raw === undefined || raw.trim() === '') return undefined;
  const parts = commaList(raw);
  if (parts.includes('All')) return undefined;
  for (const p of parts) {
    if (!(known as readonly string[]).includes(p)) {
      throw invalidArgument('states', `unknown state ${JSON.stringify(p)}; use All or a comma list of ${known.join(', ')}`);
    }
  }
  return parts as S[];
}

interface ListParams<S extends string> {
  size: number;
  order: 'Desc' | 'Asc';
  states: S[] | undefined;
  nextToken: string | undefined;
  startMs: number | undefined;
  /** Inclusive: CI times have second precision, so the end bound takes in its whole second. */
  endMs: number | undefined;
}

/** The paging and filter parameters a list API shares; nextToken is an id of `tokenKind`. */
export function listParams<S extends string>(q: Query, states: readonly S[], tokenKind: IdKind): ListParams<S> {
  const size = positiveInt(q, 'size', 10, 100);
  const order = nonEmpty(single(q, 'orderByTime')) ?? 'Desc';
  if (order !== 'Desc' && order !== 'Asc') throw invalidArgument('orderByTime', `must be Desc or Asc, got ${JSON.stringify(order)}`);
  const parsedStates = statesParam(q, states);
  const nextToken = nonEmpty(single(q, 'nextToken'));
  if (nextToken !== undefined && !isId(tokenKind, nextToken)) throw invalidArgument('nextToken', 'is not a token this API returned');
  const startMs = timeParam(q, 'startCreationTime');
  const endMs = timeParam(q, 'endCreationTime');
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
    throw invalidArgument('startCreationTime', 'must not be after endCreationTime');
  }
  return { size, order, states: parsedStates, nextToken, startMs, endMs: endMs === undefined ? undefined : endMs + 999 };
}

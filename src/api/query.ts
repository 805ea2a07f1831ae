// Reading CI query strings: single values, and the pageNumber/pageSize pair of the search APIs.
import { parseCiTime } from '../domain/time.js';
import { invalidArgument } from './errors.js';

export type Query = Record<string, string | string[] | undefined>;

/** The last value of a parameter (a repeated parameter counts once). */
export function single(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
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
export function timeParam(q: Query, name: string): number | undefined {
  const v = nonEmpty(single(q, name));
  if (v === undefined) return undefined;
  const ms = parseCiTime(v.replace(' ', '+'));
  if (ms === undefined) throw invalidArgument(name, `must look like 2022-06-27T15:23:10+0800, got ${JSON.stringify(v)}`);
  return ms;
}

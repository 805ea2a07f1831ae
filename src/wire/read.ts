// The reader combinators every CI request body is read with, and the row machinery built on them: an
// element is a list of rows (XML name, model key, reader, requirement, default, echo rule) plus one
// `check` for the rules that tie fields together. Reading (XML tree -> camelCase model) and the echo
// (model -> PascalCase tree, in row order) both derive from the rows, so a field lives in one place.
//
// Reading rules (docs/ci-api.md 0.2): scalars may arrive as strings or numbers; booleans are
// `true`/`false` (any case); a repeated element may arrive as a single object; unknown elements are
// ignored. Every violation throws ValidationError(path, problem), path being the full XML path (array
// items get a 0-based `[i]`). Children are read in document order, so the first violation reported is
// the first one in the document; requirements and `check` run once the whole container has been read.
import { scalarText } from '../domain/scalar-text.js';
import { ValidationError } from '../domain/validation-error.js';

export type Tree = Record<string, unknown>;

/** Reads one raw value at its XML path, or throws ValidationError. `echo` turns the value back into XML. */
export interface Reader<T> {
  (value: unknown, path: string): T;
  echo?: (value: T, opts: EchoOptions) => unknown;
}

interface EchoOptions {
  /** The echo is a job's (JobsDetail): rows echoed `forJob` appear. */
  forJob?: boolean;
}

/** How a received value is quoted in messages. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `${value.length} repeated elements`;
  if (value === undefined || value === null) return 'nothing';
  return 'a container element';
}

export function fail(path: string, allowed: string, value: unknown): never {
  throw new ValidationError(path, `must be ${allowed}, got ${show(value)}`);
}

export function missing(path: string, allowed: string): never {
  throw new ValidationError(path, `is required (${allowed})`);
}

export function listText(items: readonly (string | number)[]): string {
  return `one of [${items.join(', ')}]`;
}

/** An element that must appear once: a one-item array (a repeated element) counts as the item. */
export function single(value: unknown, path: string): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 1) return value[0];
  throw new ValidationError(path, `must appear exactly once, got ${value.length} repeated elements`);
}

/** A repeated element: a single object or scalar is a one-item list. */
function asArray(value: unknown, path: string, max?: number): unknown[] {
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (max !== undefined && items.length > max) {
    const name = path.slice(path.lastIndexOf('.') + 1);
    throw new ValidationError(path, `at most ${max} ${name} elements are allowed, got ${items.length}`);
  }
  return items;
}

/** A container element (an empty one, `<X/>`, reads as no children). */
function readObject(value: unknown, path: string): Tree {
  const v = single(value, path);
  if (v === '') return {};
  if (typeof v !== 'object' || v === null) fail(path, 'a container element', v);
  return v as Tree;
}

/** Any scalar as text (possibly empty). */
export function text(allowed = 'a text value'): Reader<string> {
  return (value, path) => {
    const v = single(value, path);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v === 'boolean') return String(v);
    return fail(path, allowed, v);
  };
}

/** Non-empty text. */
export function nonEmpty(allowed = 'a non-empty string'): Reader<string> {
  const asText = text(allowed);
  return (value, path) => {
    const s = asText(value, path);
    if (s.trim() === '') fail(path, allowed, s);
    return s;
  };
}

export function pattern(re: RegExp, allowed: string): Reader<string> {
  const asText = text(allowed);
  return (value, path) => {
    const s = asText(value, path);
    if (!re.test(s)) fail(path, allowed, s);
    return s;
  };
}

export function oneOf<const T extends string>(allowed: readonly T[]): Reader<T> {
  const what = listText(allowed);
  const asText = text(what);
  return (value, path) => {
    const s = asText(value, path);
    if (!(allowed as readonly string[]).includes(s)) fail(path, what, s);
    return s as T;
  };
}

export function bool(): Reader<boolean> {
  return (value, path) => {
    const v = single(value, path);
    if (typeof v === 'boolean') return v;
    const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    if (s === 'true') return true;
    if (s === 'false') return false;
    return fail(path, 'true or false', v);
  };
}

export interface Range {
  min?: number;
  max?: number;
  /** The bound itself is excluded: (min, …. */
  minOpen?: boolean;
  /** The bound itself is excluded: …, max). */
  maxOpen?: boolean;
}

export function rangeText(r: Range): string {
  if (r.min !== undefined && r.max !== undefined) {
    return ` in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
  }
  if (r.min !== undefined) return ` ${r.minOpen ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return ` ${r.maxOpen ? '<' : '<='} ${r.max}`;
  return '';
}

export function inRange(n: number, r: Range): boolean {
  if (r.min !== undefined && (r.minOpen ? n <= r.min : n < r.min)) return false;
  if (r.max !== undefined && (r.maxOpen ? n >= r.max : n > r.max)) return false;
  return true;
}

/** Plain decimal notation only: no hex, no exponent, no trailing junk. */
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;
const INTEGER = /^-?\d+$/;

/** A number sent as a JS number or as decimal text; NaN, Infinity, '', hex, exponents and junk are refused. */
function readNumber(value: unknown, path: string, integer: boolean, allowed: string): number {
  const v = single(value, path);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) fail(path, allowed, v);
    return v;
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if ((integer ? INTEGER : DECIMAL).test(s)) return Number(s);
  }
  return fail(path, allowed, v);
}

export function int(r: Range & { even?: boolean } = {}, allowed?: string): Reader<number> {
  const what = allowed ?? `${r.even ? 'an even integer' : 'an integer'}${rangeText(r)}`;
  return (value, path) => {
    const n = readNumber(value, path, true, what);
    if (!inRange(n, r) || (r.even === true && n % 2 !== 0)) fail(path, what, single(value, path));
    return n;
  };
}

export function float(r: Range = {}): Reader<number> {
  const what = `a number${rangeText(r)}`;
  return (value, path) => {
    const n = readNumber(value, path, false, what);
    if (!inRange(n, r)) fail(path, what, single(value, path));
    return n;
  };
}

export function intIn<const T extends number>(allowed: readonly T[]): Reader<T> {
  const what = listText(allowed);
  return (value, path) => {
    const n = readNumber(value, path, true, what);
    if (!(allowed as readonly number[]).includes(n)) fail(path, what, single(value, path));
    return n as T;
  };
}

// The queue, template and workflow bodies read text trimmed, with an empty element meaning absent, and
// quote what they refuse in full: these readers keep those semantics.

/** Trimmed text; an empty element reads as absent. A container is refused. */
export function trimmed(): Reader<string | undefined> {
  return (value, path) => {
    if (typeof value === 'object') throw new ValidationError(path, 'must be a single text element');
    const s = scalarText(value)?.trim();
    return s === '' ? undefined : s;
  };
}

/** Trimmed text that must be one of `allowed`; an empty element reads as absent. */
export function trimmedOneOf<const T extends string>(allowed: readonly T[]): Reader<T | undefined> {
  const asText = trimmed();
  return (value, path) => {
    const s = asText(value, path);
    if (s !== undefined && !(allowed as readonly string[]).includes(s)) {
      throw new ValidationError(path, `must be one of [${allowed.join(', ')}], got ${JSON.stringify(s)}`);
    }
    return s as T | undefined;
  };
}

/** A container element given once; anything else is refused with `problem`. */
export function box<M>(element: Element<M>, problem: string): Reader<M> {
  const read: Reader<M> = (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(path, problem);
    return readTree(element, value as Tree, path);
  };
  read.echo = (model, opts) => echoElement(element, model, opts);
  return read;
}

/** A repeated element read item by item (`[i]` paths), at most `max` items. */
export function list<T>(item: Reader<T>, max?: number): Reader<T[]> {
  const read: Reader<T[]> = (value, path) => asArray(value, path, max).map((x, i) => item(x, `${path}[${i}]`));
  read.echo = (items, opts) => items.map((x) => echoValue(item, x, opts));
  return read;
}

// ---------------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------------

/**
 * When a row appears in the echo:
 *  - 'ifSet': when the model has a value (a list: when it has items);
 *  - 'always': always;
 *  - 'ifGiven': a field with a documented default, echoed when the request sent it (recorded in the
 *    model's `given`) or when the value differs from the default; never invented;
 *  - 'forJob': like 'ifSet', in a job's echo only;
 *  - 'never': read, not echoed.
 */
type Echo = 'ifSet' | 'always' | 'ifGiven' | 'forJob' | 'never';

/** The model keys a row can fill (`given` is the machinery's own). */
type FieldKey<M> = Exclude<Extract<keyof M, string>, 'given'>;

/** A reader whose value fits a model field; its echo is looked up, not called with a typed value. */
interface FieldReader<T> {
  (value: unknown, path: string): T | undefined;
  echo?: (value: never, opts: EchoOptions) => unknown;
}

interface RowFor<M, K extends FieldKey<M>> {
  xml: string;
  key: K;
  read: FieldReader<NonNullable<M[K]>>;
  /**
   * The element is required: a text says what it must be ("is required (…)"), `true` says no more
   * ("is required"), `{ problem }` is the whole message after the path.
   */
  required?: string | true | { problem: string };
  /** The requirement is waived when this other key has a value. */
  unless?: FieldKey<M>;
  /** The row is read (and required) only when this holds of the rows read before it (row order only). */
  when?: (model: Partial<M>) => boolean;
  /** The value when the element is absent. */
  default?: NonNullable<M[K]>;
  echo: Echo;
}

type Row<M> = { [K in FieldKey<M>]: RowFor<M, K> }[FieldKey<M>];

export interface Element<M> {
  rows: readonly Row<M>[];
  /**
   * 'document' (the default): children are read in document order, requirements checked once all are
   * read. 'rows': each row is read, then required, in row order, whatever the document order.
   */
  order?: 'document' | 'rows';
  /** Rules between fields, run on the read model once requirements and defaults are settled. */
  check?: (model: M, path: string) => void;
  /** Turns the checked model into the stored one (orderings, priorities). */
  finish?: (model: M) => M;
}

/** Reads a container's known children (in document or row order); unknown children are ignored. */
export function readElement<M>(element: Element<M>, value: unknown, path: string): M {
  return readTree(element, readObject(value, path), path);
}

/** As readElement, on a container already taken apart (a request's root, or one checked otherwise). */
export function readTree<M>(element: Element<M>, tree: Tree, path: string): M {
  const model: Record<string, unknown> = {};
  const given: string[] = [];
  const readRow = (row: Row<M>, child: unknown, name: string): void => {
    model[row.key] = (row.read as Reader<unknown>)(child, `${path}.${name}`);
    if (row.echo === 'ifGiven') given.push(row.key);
  };
  if (element.order === 'rows') {
    for (const row of element.rows) {
      if (row.when !== undefined && !row.when(model as Partial<M>)) continue;
      if (Object.hasOwn(tree, row.xml) && tree[row.xml] !== undefined) readRow(row, tree[row.xml], row.xml);
      settle(row, model, path);
    }
  } else {
    const byXml = rowsByXml(element);
    for (const [name, child] of Object.entries(tree)) {
      const row = byXml.get(name);
      if (row !== undefined) readRow(row, child, name);
    }
    for (const row of element.rows) settle(row, model, path);
  }
  if (given.length > 0) model.given = given;
  const m = model as M;
  element.check?.(m, path);
  return element.finish ? element.finish(m) : m;
}

/** A row's requirement and default, once it has been read (or found absent). */
function settle<M>(row: Row<M>, model: Record<string, unknown>, path: string): void {
  const value = model[row.key];
  // A required list needs an item: one sent as no items is missing.
  if (value !== undefined && !(row.required !== undefined && Array.isArray(value) && value.length === 0)) return;
  if (value === undefined) Reflect.deleteProperty(model, row.key);
  if (row.required !== undefined && (row.unless === undefined || model[row.unless] === undefined)) {
    const field = `${path}.${row.xml}`;
    if (row.required === true) throw new ValidationError(field, 'is required');
    if (typeof row.required === 'object') throw new ValidationError(field, row.required.problem);
    missing(field, row.required);
  }
  if (row.default !== undefined) model[row.key] = Array.isArray(row.default) ? [...row.default] : row.default;
}

const ROWS_BY_XML = new WeakMap<object, Map<string, Row<never>>>();

function rowsByXml<M>(element: Element<M>): Map<string, Row<M>> {
  let map = ROWS_BY_XML.get(element);
  if (map === undefined) {
    map = new Map(element.rows.map((r) => [r.xml, r as unknown as Row<never>]));
    ROWS_BY_XML.set(element, map);
  }
  return map as unknown as Map<string, Row<M>>;
}

/** A nested element read (and echoed) by its rows. */
export function container<M>(element: Element<M>): Reader<M> {
  const read: Reader<M> = (value, path) => readElement(element, value, path);
  read.echo = (model, opts) => echoElement(element, model, opts);
  return read;
}

/** A scalar as CI echoes it: numbers and booleans as their text. */
function echoScalar(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

function echoValue<T>(reader: Reader<T>, value: T, opts: EchoOptions): unknown {
  return reader.echo ? reader.echo(value, opts) : echoScalar(value);
}

/** The model back to its PascalCase tree, in row order. */
export function echoElement<M>(element: Element<M>, model: M, opts: EchoOptions = {}): Record<string, unknown> {
  const m = model as Record<string, unknown>;
  const given = (m.given as string[] | undefined) ?? [];
  const out: Record<string, unknown> = {};
  for (const row of element.rows) {
    const value = m[row.key];
    switch (row.echo) {
      case 'never':
        continue;
      case 'forJob':
        if (opts.forJob !== true) continue;
        break;
      case 'ifGiven':
        if (value === row.default && !given.includes(row.key)) continue;
        break;
      case 'ifSet':
        if (Array.isArray(value) && value.length === 0) continue;
        break;
      case 'always':
        break;
    }
    if (value === undefined) continue;
    out[row.xml] = echoValue(row.read as Reader<unknown>, value, opts);
  }
  return out;
}

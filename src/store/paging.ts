// The paging loop of list queries over id-ordered sorted sets. Ids begin with their creation time, so a
// lexicographic range of ids is a time range, and the last id of a page is the cursor of the next one.
// Records are filtered after reading, so the loop reads batches until the page is full (one more record
// than asked tells whether there is a next page), with a cap on rounds so a filter that matches
// nothing cannot read forever.

/** Lexicographic bounds of ids: '-' / '+' are the open ends; '[' inclusive, '(' exclusive. */
interface IdRange {
  lo: string;
  hi: string;
}

interface PageQuery<T> {
  range: IdRange;
  desc: boolean;
  size: number;
  /** Up to `count` ids within [lo, hi], in the query's order. */
  readIds(range: IdRange, count: number): Promise<string[]>;
  readRecords(ids: string[]): Promise<(T | undefined)[]>;
  keep(record: T): boolean;
  idOf(record: T): string;
}

const MAX_ROUNDS = 200;

/** One page of records and the cursor of the next page when there is one. */
export async function pageByIdRange<T>(q: PageQuery<T>): Promise<{ items: T[]; nextToken?: string }> {
  let { lo, hi } = q.range;
  const out: T[] = [];
  const batch = Math.max(q.size + 1, 50);
  for (let round = 0; round < MAX_ROUNDS && out.length <= q.size; round++) {
    const ids = await q.readIds({ lo, hi }, batch);
    if (ids.length === 0) break;
    for (const r of await q.readRecords(ids)) if (r && q.keep(r)) out.push(r);
    const last = ids[ids.length - 1]!;
    if (q.desc) hi = `(${last}`;
    else lo = `(${last}`;
    if (ids.length < batch) break;
  }
  if (out.length > q.size) {
    const page = out.slice(0, q.size);
    const last = page[page.length - 1];
    return { items: page, nextToken: last === undefined ? undefined : q.idOf(last) };
  }
  return { items: out };
}

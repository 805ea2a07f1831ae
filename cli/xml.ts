// Reading and writing the API's XML bodies. Every leaf stays a string (as the API wrote it), and the
// elements CI repeats come back as arrays whether the answer holds one of them or several. The bodies
// the CLI writes itself are small trees of text (a queue update), written with their text escaped.
import { XMLParser } from 'fast-xml-parser';

export type XmlTree = Record<string, unknown>;

const parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true, ignoreAttributes: true });

export function parseXml(text: string): XmlTree {
  return parser.parse(text) as XmlTree;
}

/** The XML text of `s`: the five predefined entities where XML needs them. */
function escapeText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** Elements of text or nested elements, in the order given: `{ A: 'x', B: { C: 'y' } }` -> `<A>x</A><B><C>y</C></B>`. */
export interface XmlElements {
  [name: string]: string | XmlElements;
}

export function buildXml(tree: XmlElements): string {
  return Object.entries(tree)
    .map(([name, value]) => `<${name}>${typeof value === 'string' ? escapeText(value) : buildXml(value)}</${name}>`)
    .join('');
}

/** The element at `path`, or undefined when any step is missing. */
export function at(tree: unknown, ...path: string[]): unknown {
  let node = tree;
  for (const step of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

/** A leaf as text ('' when absent or not a leaf). */
export function text(tree: unknown, ...path: string[]): string {
  const v = at(tree, ...path);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** A repeated element as a list (absent: empty, one: a list of one). */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

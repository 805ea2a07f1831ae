// The XML codec at the API boundary: CI bodies in (scalars as strings; an element that appears more
// than once becomes an array, and readers accept one element or several alike), CI bodies out (arrays
// as repeated elements, empty strings as self-closing elements), and the JSON form of an outgoing tree.
// No DTDs: a CI request never carries one, so a DOCTYPE is refused before parsing (no entity expansion).
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { scalarText } from '../domain/scalar-text.js';
import { WireError } from './wire-error.js';
import { checkRequestLimits, DEFAULT_REQUEST_LIMITS, type RequestLimits } from './limits.js';
import { lineAndColumn, quickWellFormed } from './xml-wellformed.js';
import { MAX_NESTED_TAGS, readCiXml, type XmlTree } from './xml-reader.js';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  // No callback reads element paths: skip building a path string for every element.
  jPath: false,
  maxNestedTags: MAX_NESTED_TAGS,
});

export type { XmlTree };

/**
 * Parses a request body within the body shape limits and returns the content of its `<Request>` root.
 * Throws WireError MissingContent / InvalidContent / InvalidArgument with a message naming the problem.
 */
export function parseRequestXml(body: string | Buffer | undefined | null, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): XmlTree {
  const text = body === undefined || body === null ? '' : body.toString();
  if (text.trim() === '') {
    throw new WireError('MissingContent', 'the request body is empty; expected an XML <Request> document');
  }
  // Bodies in CI's own shape are read in one pass; the general path takes the rest (comments,
  // attributes, character references…), every body that is not well-formed or is near a limit.
  const doc = readCiXml(text, limits) ?? parseXmlGeneral(text, limits);
  const root = doc.Request;
  if (root === undefined) {
    throw new WireError('InvalidContent', 'the request body must have the root element <Request>');
  }
  if (root === '') return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new WireError('InvalidContent', 'the <Request> element must contain child elements');
  }
  return root as XmlTree;
}

/**
 * The general path: the whole document as `{ Root: … }`. The shape limits are checked first, in one
 * linear scan; then the quick check decides well-formedness for most bodies, the general validator the
 * rest, and fast-xml-parser builds the tree.
 */
export function parseXmlGeneral(text: string, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): XmlTree {
  checkRequestLimits(text, limits);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new WireError('InvalidContent', 'the request body must not contain a DOCTYPE or ENTITY declaration');
  }
  const quick = quickWellFormed(text);
  if (quick.ok === false) {
    const { line, col } = lineAndColumn(text, quick.at);
    throw new WireError('InvalidContent', `the request body is not well-formed XML: ${quick.problem} (line ${line}, column ${col})`);
  }
  if (quick.ok === 'unsure') {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor, fast-xml-validator, is not a dependency; this one's messages are part of the InvalidContent answer
    const valid = XMLValidator.validate(text);
    if (valid !== true) {
      const e = valid.err;
      throw new WireError('InvalidContent', `the request body is not well-formed XML: ${e.msg} (line ${e.line}, column ${e.col})`);
    }
  }
  try {
    return parser.parse(text) as XmlTree;
  } catch (err) {
    throw new WireError('InvalidContent', `the request body is not well-formed XML: ${(err as Error).message}`);
  }
}

/** Builds `<?xml…?><Response>…</Response>` (or another root) from a PascalCase tree. */
export function buildXml(root: string, tree: unknown): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  writeElement(out, root, tree);
  return out.join('');
}

// A small serializer for the trees this engine builds (objects, arrays, strings, numbers): on the
// submit path it costs a fraction of a general-purpose builder.
function writeElement(out: string[], name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) writeElement(out, name, item);
    return;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) {
      out.push(`<${name}/>`);
      return;
    }
    out.push(`<${name}>`);
    for (const [k, v] of entries) writeElement(out, k, v);
    out.push(`</${name}>`);
    return;
  }
  const text = scalarText(value) ?? '';
  out.push(text === '' ? `<${name}/>` : `<${name}>${escapeXml(text)}</${name}>`);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : text;
}

/** The JSON form CI sends: the XML tree as is, with empty elements left out. */
export function xmlTreeToJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(xmlTreeToJson).filter((v) => v !== undefined);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const j = xmlTreeToJson(v);
      if (j !== undefined) out[k] = j;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  const text = scalarText(value);
  return text === '' ? undefined : text;
}

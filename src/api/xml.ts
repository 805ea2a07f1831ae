// The XML codec at the API boundary: CI bodies in (scalars as strings, known repeated elements as
// arrays), CI bodies out (arrays as repeated elements, empty strings as self-closing elements).
// No DTDs: a CI request never carries one, so a DOCTYPE is refused before parsing (no entity expansion).
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { CiError } from './errors.js';

/** Element names that may repeat anywhere in a request body and so always parse as arrays. */
const REPEATED = new Set([
  'ConcatFragment',
  'AudioMixArray',
  'Watermark',
  'WatermarkTemplateId',
  'CosHeaders',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => REPEATED.has(name),
});

const builder = new XMLBuilder({
  ignoreAttributes: true,
  format: false,
  suppressEmptyNode: true,
  processEntities: true,
});

export type XmlTree = Record<string, unknown>;

/**
 * Parses a request body and returns the content of its `<Request>` root.
 * Throws CiError MissingContent / InvalidContent with a message naming the problem.
 */
export function parseRequestXml(body: string | Buffer | undefined | null): XmlTree {
  const text = body === undefined || body === null ? '' : body.toString();
  if (text.trim() === '') {
    throw new CiError('MissingContent', 'the request body is empty; expected an XML <Request> document');
  }
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
    throw new CiError('InvalidContent', 'the request body must not contain a DOCTYPE or ENTITY declaration');
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const e = valid.err;
    throw new CiError('InvalidContent', `the request body is not well-formed XML: ${e.msg} (line ${e.line}, column ${e.col})`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (err) {
    throw new CiError('InvalidContent', `the request body is not well-formed XML: ${(err as Error).message}`);
  }
  const root = (doc as Record<string, unknown>)['Request'];
  if (root === undefined) {
    throw new CiError('InvalidContent', 'the request body must have the root element <Request>');
  }
  if (root === '' ) return {};
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw new CiError('InvalidContent', 'the <Request> element must contain child elements');
  }
  return root as XmlTree;
}

/** Builds `<?xml…?><Response>…</Response>` (or another root) from a PascalCase tree. */
export function buildXml(root: string, tree: unknown): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: tree }) as string}`;
}

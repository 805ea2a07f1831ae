// A one-pass reader for the XML that CI clients send: an optional declaration, then elements and text
// with the five predefined entities, and nothing else. It builds the same tree as the general parser
// with the options in xml.ts (scalars as trimmed strings, an element seen twice becomes an array,
// an empty element is ''), at a fraction of its cost on the submit path.
// Anything outside that subset, anything not well-formed, and anything near a body shape limit gives
// `undefined`: the caller then takes the general path, which checks the limits, decides the body and
// words the error. Differential tests hold the two paths to the same trees and the same refusals.
import type { RequestLimits } from './limits.js';

export type XmlTree = Record<string, unknown>;

const LT = 60; // <
const GT = 62; // >
const SLASH = 47; // /

/** Names the general parser refuses (prototype pollution) or renames (Object.prototype methods). */
const RESERVED = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
]);

const DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]\1([ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?([ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\5)?[ \t\r\n]*\?>/;

/**
 * The general parser's nesting limit (its `maxNestedTags`, set in xml.ts): it refuses a body once more
 * than this many elements are open below the root. The reader leaves such bodies to it.
 */
export const MAX_NESTED_TAGS = 100;

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isXmlSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function onlyXmlSpace(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (!isXmlSpace(text.charCodeAt(k))) return false;
  return true;
}

/** An element name in the plain ASCII form CI uses: a letter or '_', then letters, digits, '_', '-', '.'. */
function plainName(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  const first = text.charCodeAt(from);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95)) return false;
  for (let k = from + 1; k < to; k++) {
    const c = text.charCodeAt(k);
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46)) return false;
  }
  return true;
}

/** Trims (as String.prototype.trim) and decodes the predefined entities; undefined on any other '&'. */
function textValue(raw: string): string | undefined {
  const value = raw.trim();
  let amp = value.indexOf('&');
  if (amp === -1) return value;
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const semi = value.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 5) return undefined;
    const decoded = ENTITIES[value.slice(amp + 1, semi)];
    if (decoded === undefined) return undefined;
    out += value.slice(from, amp) + decoded;
    from = semi + 1;
    amp = value.indexOf('&', from);
  }
  return out + value.slice(from);
}

function addChild(parent: XmlTree, name: string, value: unknown): void {
  const existing = Object.hasOwn(parent, name) ? parent[name] : undefined;
  if (existing === undefined) parent[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else parent[name] = [existing, value];
}

/**
 * The document as `{ Root: … }`, or undefined when the body is outside the subset, not well-formed,
 * or reaches one of `limits` (counted as checkRequestLimits counts, erring towards undefined).
 */
export function readCiXml(text: string, limits: RequestLimits): XmlTree | undefined {
  const n = text.length;
  const maxString = limits.maxStringLength;
  let elements = 0;
  let fragments = 0;
  let i = 0;
  while (i < n && isXmlSpace(text.charCodeAt(i))) i++;
  if (i > maxString) return undefined;
  if (text.startsWith('<?', i)) {
    const decl = DECLARATION.exec(text.slice(i, i + 200));
    if (!decl || decl[0].length > maxString) return undefined;
    i += decl[0].length;
  }
  // One frame per open element: its name, its children (once it has any) and its text.
  const names: string[] = [];
  const children: (XmlTree | undefined)[] = [];
  const texts: string[] = [];
  let doc: XmlTree | undefined;
  for (;;) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    const depth = names.length;
    if (textEnd > i) {
      if (textEnd - i > maxString) return undefined;
      if (depth === 0) {
        if (!onlyXmlSpace(text, i, textEnd)) return undefined;
      } else if (children[depth - 1] !== undefined) {
        // Text beside child elements is mixed content unless it trims (as the general parser trims) to ''.
        if (text.slice(i, textEnd).trim() !== '') return undefined;
      } else {
        texts[depth - 1] = texts[depth - 1]! + text.slice(i, textEnd);
      }
    }
    if (lt === -1) break;
    const next = text.charCodeAt(lt + 1);
    const gt = text.indexOf('>', lt + 1);
    if (gt === -1 || gt - lt > maxString) return undefined;
    if (next === SLASH) {
      let end = gt;
      while (end > lt + 2 && isXmlSpace(text.charCodeAt(end - 1))) end--;
      const name = names.pop();
      if (name?.length !== end - (lt + 2) || !text.startsWith(name, lt + 2)) return undefined;
      const own = children.pop();
      const raw = texts.pop()!;
      let value: unknown = own;
      if (own === undefined) {
        value = textValue(raw);
        if (value === undefined) return undefined;
      }
      if (depth === 1) doc = { [name]: value };
      else if (!attach(names.length - 1, name, value)) return undefined;
      i = gt + 1;
      continue;
    }
    // Comments, CDATA, processing instructions and DOCTYPEs are for the general parser.
    if (next === 33 /* ! */ || next === 63 /* ? */ || next === LT || next === GT) return undefined;
    const selfClosing = text.charCodeAt(gt - 1) === SLASH && gt - 1 > lt;
    let end = selfClosing ? gt - 1 : gt;
    while (end > lt + 1 && isXmlSpace(text.charCodeAt(end - 1))) end--;
    if (!plainName(text, lt + 1, end)) return undefined;
    const name = text.slice(lt + 1, end);
    if (RESERVED.has(name)) return undefined;
    if (depth === 0 && doc !== undefined) return undefined;
    if (++elements > limits.maxElements) return undefined;
    if (name === 'ConcatFragment' && ++fragments > limits.maxFragments) return undefined;
    if (selfClosing) {
      if (depth === 0) doc = { [name]: '' };
      else if (!attach(depth - 1, name, '')) return undefined;
    } else {
      if (depth >= limits.maxDepth || depth > MAX_NESTED_TAGS) return undefined;
      names.push(name);
      children.push(undefined);
      texts.push('');
    }
    i = gt + 1;
  }
  if (names.length > 0 || doc === undefined) return undefined;
  return doc;

  function attach(frame: number, name: string, value: unknown): boolean {
    let own = children[frame];
    if (own === undefined) {
      // The parent's text so far must be white space: otherwise it is mixed content.
      if (texts[frame]!.trim() !== '') return false;
      own = {};
      children[frame] = own;
    }
    addChild(own, name, value);
    return true;
  }
}

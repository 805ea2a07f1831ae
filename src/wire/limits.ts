// Size limits on XML request bodies, checked in one linear pass over the raw text before the general
// parser runs (the one-pass reader in xml-reader.ts counts them itself), so a hostile body costs no
// more than reading it: nesting depth, element count, ConcatFragment count,
// and the length of any one text value, element name or tag. Structural excess is 400 InvalidContent,
// an over-long value or too many fragments 400 InvalidArgument; each message names the limit's variable.
// The scan is deliberately simple (it does not validate); the parser that follows does that.
import type { RequestLimits } from '../config.js';
import { WireError } from './wire-error.js';

export type { RequestLimits };

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxDepth: 20, maxElements: 5000, maxFragments: 100, maxStringLength: 4096 };

/** Where a tag ends: the first `>` outside a quoted attribute value, or -1. */
function tagEnd(text: string, from: number): number {
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i;
    }
  }
  return -1;
}

const NAME_END = /[\s/>]/;

/** Throws the WireError of the first limit the body exceeds. */
export function checkRequestLimits(text: string, limits: RequestLimits): void {
  const stack: string[] = [];
  const where = (): string =>
    stack.length > 0 ? stack.map((n) => (n.length > 64 ? `${n.slice(0, 64)}…` : n)).join('.') : 'the request body';
  let elements = 0;
  let fragments = 0;
  let i = 0;
  const checkText = (from: number, to: number): void => {
    if (to - from <= limits.maxStringLength) return;
    if (text.slice(from, to).trim().length <= limits.maxStringLength) return;
    throw new WireError(
      'InvalidArgument',
      `${where()}: a text value is longer than ${limits.maxStringLength} characters (MAX_STRING_LENGTH)`,
    );
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    checkText(i, lt === -1 ? text.length : lt);
    if (lt === -1) return;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) return;
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end === -1) return;
      checkText(lt + 9, end);
      i = end + 3;
      continue;
    }
    const gt = text[lt + 1] === '!' || text[lt + 1] === '?' ? text.indexOf('>', lt) : tagEnd(text, lt + 1);
    if (gt === -1) return;
    if (gt - lt > limits.maxStringLength) {
      throw new WireError(
        'InvalidArgument',
        `${where()}: an element tag is longer than ${limits.maxStringLength} characters (MAX_STRING_LENGTH)`,
      );
    }
    i = gt + 1;
    const next = text[lt + 1];
    if (next === '!' || next === '?') continue;
    if (next === '/') {
      stack.pop();
      continue;
    }
    const rest = text.slice(lt + 1, gt);
    const m = NAME_END.exec(rest);
    const name = m ? rest.slice(0, m.index) : rest;
    if (++elements > limits.maxElements) {
      throw new WireError('InvalidContent', `the request body has more than ${limits.maxElements} elements (MAX_XML_ELEMENTS)`);
    }
    if (name === 'ConcatFragment' && ++fragments > limits.maxFragments) {
      throw new WireError(
        'InvalidArgument',
        `${where()}.ConcatFragment: at most ${limits.maxFragments} ConcatFragment elements are allowed (MAX_FRAGMENTS)`,
      );
    }
    if (text[gt - 1] === '/') continue;
    stack.push(name);
    if (stack.length > limits.maxDepth) {
      throw new WireError('InvalidContent', `the request body nests elements deeper than ${limits.maxDepth} levels (MAX_XML_DEPTH)`);
    }
  }
}

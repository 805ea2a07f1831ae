// A fast well-formedness check for the XML that CI clients send: elements, text, entity and character
// references, comments, CDATA and processing instructions, and no attributes. It decides most bodies
// in one indexOf-driven pass; anything beyond that subset (attributes, a DOCTYPE) is left to the
// general validator, which costs several times more on the submit path.

type WellFormed = { ok: true } | { ok: false; problem: string; at: number } | { ok: 'unsure' };

const NAME_START = /[A-Za-z_:\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9._:\-\u00B7\u00C0-\uFFFF]/;
const REFERENCE = /^&(?:[A-Za-z_:][A-Za-z0-9._:-]*|#[0-9]+|#x[0-9A-Fa-f]+);/;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

/** Checks the text between tags: `&` only as a reference; at the top level, only whitespace. */
function checkText(text: string, from: number, to: number, topLevel: boolean): WellFormed | undefined {
  if (topLevel) {
    for (let i = from; i < to; i++) {
      if (!isSpace(text[i]) && text[i] !== '\uFEFF') return { ok: false, problem: 'text outside the root element', at: i };
    }
    return undefined;
  }
  let amp = text.indexOf('&', from);
  while (amp !== -1 && amp < to) {
    if (!REFERENCE.test(text.slice(amp, Math.min(to, amp + 40)))) return { ok: false, problem: "a bare '&' (write &amp;)", at: amp };
    amp = text.indexOf('&', amp + 1);
  }
  return undefined;
}

export function quickWellFormed(text: string): WellFormed {
  const stack: string[] = [];
  let rootSeen = false;
  let i = 0;
  for (;;) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? text.length : lt;
    const bad = checkText(text, i, textEnd, stack.length === 0);
    if (bad) return bad;
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) return { ok: false, problem: 'an unclosed comment', at: lt };
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      if (stack.length === 0) return { ok: false, problem: 'CDATA outside the root element', at: lt };
      const end = text.indexOf(']]>', lt + 9);
      if (end === -1) return { ok: false, problem: 'an unclosed CDATA section', at: lt };
      i = end + 3;
      continue;
    }
    if (text[lt + 1] === '?') {
      const end = text.indexOf('?>', lt + 2);
      if (end === -1) return { ok: false, problem: 'an unclosed processing instruction', at: lt };
      i = end + 2;
      continue;
    }
    if (text[lt + 1] === '!') return { ok: 'unsure' };
    const gt = text.indexOf('>', lt + 1);
    if (gt === -1) return { ok: false, problem: 'an unclosed tag', at: lt };
    if (text[lt + 1] === '/') {
      let end = gt;
      while (end > lt + 2 && isSpace(text[end - 1])) end--;
      const name = text.slice(lt + 2, end);
      const open = stack.pop();
      if (open === undefined) return { ok: false, problem: `a closing tag </${name}> with no open element`, at: lt };
      if (name !== open) return { ok: false, problem: `</${name}> closes <${open}>`, at: lt };
      i = gt + 1;
      continue;
    }
    const selfClosing = text[gt - 1] === '/';
    let end = selfClosing ? gt - 1 : gt;
    while (end > lt + 1 && isSpace(text[end - 1])) end--;
    const name = text.slice(lt + 1, end);
    if (name === '' || !NAME_START.test(name[0]!))
      return { ok: false, problem: `an invalid element name ${JSON.stringify(name.slice(0, 40))}`, at: lt };
    for (let k = 1; k < name.length; k++) {
      const c = name[k]!;
      if (isSpace(c) || c === '=' || c === '"' || c === "'") return { ok: 'unsure' };
      if (!NAME_CHAR.test(c)) return { ok: false, problem: `an invalid element name ${JSON.stringify(name.slice(0, 40))}`, at: lt };
    }
    if (stack.length === 0) {
      if (rootSeen) return { ok: false, problem: 'more than one root element', at: lt };
      rootSeen = true;
    }
    if (!selfClosing) stack.push(name);
    i = gt + 1;
  }
  if (stack.length > 0) return { ok: false, problem: `<${stack[stack.length - 1]}> is never closed`, at: text.length };
  if (!rootSeen) return { ok: false, problem: 'no root element', at: 0 };
  return { ok: true };
}

/** 1-based line and column of an offset, for messages. */
export function lineAndColumn(text: string, at: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let k = text.indexOf('\n'); k !== -1 && k < at; k = text.indexOf('\n', k + 1)) {
    line++;
    last = k;
  }
  return { line, col: at - last };
}

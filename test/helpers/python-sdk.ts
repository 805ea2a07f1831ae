// How Tencent's Python SDK (cos-python-sdk-v5) reads the engine's answers, re-stated in our own code so
// tests hold the engine to it without Python:
// - A success body is parsed as XML (an empty or malformed body raises) and turned into a dict with the
//   root element stripped: an element with children becomes a dict, a leaf its text (null when empty),
//   a name that repeats a list.
// - An error body is "digested": Code, Message, Resource, RequestId and TraceId are looked up anywhere
//   under the root, each as its element's first text. The SDK versions that need all five give up when
//   one is missing or empty, and get_error_code() then returns 'Unknown'; users cannot branch on it.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

type Node = Record<string, unknown>;
export type PyValue = string | null | PyDict | PyValue[];
export interface PyDict {
  [key: string]: PyValue;
}

const parser = new XMLParser({ preserveOrder: true, parseTagValue: false, ignoreDeclaration: true, trimValues: true });

function elementsOf(nodes: Node[]): { tag: string; children: Node[] }[] {
  return nodes.flatMap((n) => {
    const tag = Object.keys(n).find((k) => k !== ':@' && k !== '#text');
    return tag ? [{ tag, children: n[tag] as Node[] }] : [];
  });
}

function textOf(children: Node[]): string | null {
  const text = children
    .map((c) => c['#text'])
    .filter((t) => t !== undefined && t !== '')
    .join('');
  return text === '' ? null : text;
}

/** The root element of a body, as the SDK's XML parser sees it; throws where the SDK raises. */
function rootOf(body: string): { tag: string; children: Node[] } {
  if (body.trim() === '') throw new Error('no element found: line 1, column 0 (the body is empty)');
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor, fast-xml-validator, is not a dependency
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg}`);
  const root = elementsOf(parser.parse(body) as Node[])[0];
  if (!root) throw new Error('no root element');
  return root;
}

function toDict(children: Node[]): PyDict {
  const dict: PyDict = {};
  for (const { tag, children: grand } of elementsOf(children)) {
    const value: PyValue = elementsOf(grand).length > 0 ? toDict(grand) : textOf(grand);
    const had = dict[tag];
    if (had === undefined) dict[tag] = value;
    else if (Array.isArray(had)) had.push(value);
    else dict[tag] = [had, value];
  }
  return dict;
}

/** A success answer as the SDK's methods return it (the `Response` root stripped). */
export function pythonSdkResult(body: string): PyDict {
  return toDict(rootOf(body).children);
}

export interface PythonSdkError {
  code: string;
  message: string;
  resource: string;
  requestid: string;
  traceid: string;
}

function firstText(nodes: Node[], tag: string): string | null {
  for (const el of elementsOf(nodes)) {
    if (el.tag === tag) return textOf(el.children);
    const deeper = firstText(el.children, tag);
    if (deeper !== null) return deeper;
  }
  return null;
}

/** An error answer's digest, or 'Unknown' where the strict SDK versions cannot read it. */
export function pythonSdkError(body: string): PythonSdkError | 'Unknown' {
  let root: { tag: string; children: Node[] };
  try {
    root = rootOf(body);
  } catch {
    return 'Unknown';
  }
  const scope = [{ [root.tag]: root.children }];
  const fields = ['Code', 'Message', 'Resource', 'RequestId', 'TraceId'].map((tag) => firstText(scope, tag));
  if (fields.some((f) => f === null)) return 'Unknown';
  const [code, message, resource, requestid, traceid] = fields as string[];
  return { code: code!, message: message!, resource: resource!, requestid: requestid!, traceid: traceid! };
}

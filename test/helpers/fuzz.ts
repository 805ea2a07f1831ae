// A seeded PRNG and mutators for fuzz tests: byte flips, truncation, duplicated elements, deep nesting,
// huge strings, entities, odd element names and values. The same seed gives the same cases.

export type Rand = () => number;

/** mulberry32: small, fast, good enough to spread test cases. */
export function prng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rand: Rand, max: number): number => Math.floor(rand() * max);
export const pick = <T>(rand: Rand, items: readonly T[]): T => items[int(rand, items.length)] as T;

const NAMES = [
  'Request',
  'Tag',
  'Operation',
  'ConcatTemplate',
  'ConcatFragment',
  'Url',
  'Input',
  'Object',
  'Output',
  'Bucket',
  'Region',
  'Audio',
  'Video',
  'Container',
  'Format',
  'AudioMix',
  'AudioMixArray',
  'AudioSource',
  'MixMode',
  'Replace',
  'EffectConfig',
  'Watermark',
  'WatermarkTemplateId',
  'Text',
  'Image',
  'SlideConfig',
  'SceneChangeInfo',
  'Mode',
  'Time',
  'Index',
  'JobLevel',
  'UserData',
  'CallBack',
  'CallBackFormat',
  'CallBackType',
  'CallBackMqConfig',
  'QueueId',
  'TemplateId',
  'StartTime',
  'EndTime',
  'FragmentIndex',
  'DirectConcat',
  'Codec',
  'Width',
  'Height',
  'Fps',
  'Bitrate',
  'Crf',
  'Remove',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'a:b',
  'x-y',
  '_',
  'ÄÖ',
  '腾讯',
];

const VALUES = [
  '',
  ' ',
  '0',
  '-1',
  '1',
  '2',
  '3',
  '1e309',
  '-0',
  'NaN',
  'Infinity',
  '9'.repeat(400),
  '0x10',
  '1.5',
  '.5',
  '5.',
  'true',
  'FALSE',
  'no',
  'mp4',
  'hls',
  'aac',
  'mp3',
  'H.264',
  'Concat',
  'Start',
  'End',
  'FADE',
  'GRADIENT',
  'JSON',
  'XML',
  'TDMQ',
  'Url',
  'http://169.254.169.254/latest',
  'http://[fe80::1]/',
  'http://0xA9FEA9FE/',
  'http://metadata.google.internal/',
  'file:///etc/passwd',
  '../../etc/passwd',
  '/abs/key',
  'a\u0001b',
  'gopher://x',
  'http://',
  'http://a b',
  '${ext}',
  '${jobid}',
  '\u202e',
  '\ud800',
  'p0123456789abcdef0123456789abcdef',
  't1460606b9752148c4ab182f55163ba7cd',
  '<',
  '&amp;',
  '&#0;',
  '&#x110000;',
  '&unknown;',
];

const JUNK = ['<', '>', '&', '/', '"', "'", '\0', '\uffff', '\ud83d\ude00', ']]>', '<!--', '<?', '<![CDATA[', '=', ' ', '\n', '\t'];

/** Start tags of the text, with their positions. */
function startTags(text: string): { at: number; name: string }[] {
  const out: { at: number; name: string }[] = [];
  const re = /<([A-Za-z_][\w.:-]*)[^>]*>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ at: m.index, name: m[1]! });
  return out;
}

/** The element starting at `at` (up to its first matching close tag), or undefined. */
function elementAt(text: string, at: number, name: string): { from: number; to: number } | undefined {
  const close = text.indexOf(`</${name}>`, at);
  return close === -1 ? undefined : { from: at, to: close + name.length + 3 };
}

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']>';

type Mutator = (rand: Rand, text: string) => string;

export const MUTATORS: Record<string, Mutator> = {
  flip(rand, text) {
    const chars = Array.from(text);
    for (let k = 1 + int(rand, 8); k > 0 && chars.length > 0; k--)
      chars[int(rand, chars.length)] = rand() < 0.5 ? pick(rand, JUNK) : String.fromCharCode(int(rand, 0x3000));
    return chars.join('');
  },
  truncate(rand, text) {
    return text.slice(0, int(rand, text.length + 1));
  },
  duplicate(rand, text) {
    const tags = startTags(text);
    if (tags.length === 0) return text;
    const t = pick(rand, tags);
    const el = elementAt(text, t.at, t.name);
    if (!el) return text;
    // Bodies stay under ~2 MB: well past MAX_BODY_BYTES, short of string limits.
    const times = Math.min(rand() < 0.2 ? 200 + int(rand, 3000) : 1 + int(rand, 5), Math.floor(2_000_000 / Math.max(1, el.to - el.from)));
    return text.slice(0, el.to) + text.slice(el.from, el.to).repeat(times) + text.slice(el.to);
  },
  nest(rand, text) {
    const tags = startTags(text);
    if (tags.length === 0) return text;
    const t = pick(rand, tags);
    const el = elementAt(text, t.at, t.name);
    if (!el) return text;
    const depth = rand() < 0.3 ? 20 + int(rand, 5000) : 1 + int(rand, 10);
    const name = pick(rand, NAMES);
    return (
      text.slice(0, el.from) +
      `<${name}>`.repeat(depth) +
      text.slice(el.from, el.to) +
      `</${name}>`.repeat(rand() < 0.9 ? depth : int(rand, depth)) +
      text.slice(el.to)
    );
  },
  hugeString(rand, text) {
    const at = text.indexOf('>', int(rand, text.length)) + 1;
    const size = pick(rand, [100, 1025, 4097, 10_000, 70_000, 300_000]);
    return text.slice(0, at) + pick(rand, ['x', '中', '&amp;', ' ']).repeat(size) + text.slice(at);
  },
  entity(rand, text) {
    if (rand() < 0.25) return BILLION_LAUGHS + text.replace(/<UserData>[^<]*/, '<UserData>&lol9;');
    const at = text.indexOf('>', int(rand, text.length)) + 1;
    return (
      text.slice(0, at) +
      pick(rand, [
        '&amp;',
        '&lt;',
        '&#x0;',
        '&unknown;',
        '&#99999999;',
        '&',
        '&#',
        '&lol9;',
        '<!ENTITY x "y">',
        '<!DOCTYPE r SYSTEM "file:///etc/passwd">',
      ]) +
      text.slice(at)
    );
  },
  rename(rand, text) {
    const tags = startTags(text);
    if (tags.length === 0) return text;
    const t = pick(rand, tags);
    const el = elementAt(text, t.at, t.name);
    const name = pick(rand, NAMES);
    if (!el) return text;
    const inner = text.slice(el.from + t.name.length + 2, el.to - t.name.length - 3);
    return `${text.slice(0, el.from)}<${name}>${inner}</${name}>${text.slice(el.to)}`;
  },
  value(rand, text) {
    const re = />([^<]+)</g;
    const spots: { at: number; len: number }[] = [];
    for (let m = re.exec(text); m; m = re.exec(text)) if (m[1]?.trim()) spots.push({ at: m.index + 1, len: m[1].length });
    if (spots.length === 0) return text;
    const s = pick(rand, spots);
    return text.slice(0, s.at) + pick(rand, VALUES) + text.slice(s.at + s.len);
  },
  insert(rand, text) {
    const at = text.indexOf('>', int(rand, text.length)) + 1;
    const name = pick(rand, NAMES);
    const piece = pick(rand, [
      `<${name}>${pick(rand, VALUES)}</${name}>`,
      `<${name}/>`,
      `<${name}><${pick(rand, NAMES)}/></${name}>`,
      '<![CDATA[x]]>',
      '<!-- c -->',
      '<?pi x?>',
      `<${name} a="1" b='>'>v</${name}>`,
    ]);
    return text.slice(0, at) + piece + text.slice(at);
  },
};

const KINDS = Object.keys(MUTATORS);

/** One to three mutations of `seed`; returns the body and the mutators applied (for messages). */
export function mutate(rand: Rand, seed: string): { body: string; applied: string[] } {
  let body = seed;
  const applied: string[] = [];
  for (let k = 1 + int(rand, 3); k > 0 && body.length < 2_000_000; k--) {
    const kind = pick(rand, KINDS);
    body = MUTATORS[kind]!(rand, body);
    applied.push(kind);
  }
  return { body, applied };
}

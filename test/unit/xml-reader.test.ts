import { describe, expect, it } from 'vitest';
import { readCiXml as readWithin } from '../../src/wire/xml-reader.js';
import { parseXmlGeneral } from '../../src/wire/xml.js';
import { checkRequestLimits, DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../../src/wire/limits.js';
import { int, mutate, pick, prng, type Rand } from '../helpers/fuzz.js';
import { SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3 } from '../fixtures/seed-examples.js';

const readCiXml = (text: string, limits: RequestLimits = DEFAULT_REQUEST_LIMITS) => readWithin(text, limits);

/** The general path's tree, or the refusal it gives. */
function general(text: string, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): unknown {
  try {
    return parseXmlGeneral(text, limits);
  } catch (err) {
    return { refused: (err as Error).message };
  }
}

const SEEDS = [SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3];

// Random documents in the reader's subset and just outside it: repeated and empty elements, names
// that are Object.prototype members, white space around values, entities, and now and then a
// comment, an attribute, a character reference or mixed content.
const NAMES = ['Request', 'Tag', 'ConcatFragment', 'Url', 'Index', 'isPrototypeOf', 'toLocaleString', 'toString', 'a.b', 'x-y', '_'];
const VALUES = [
  '',
  ' ',
  '0',
  'Concat',
  ' padded\t',
  'a &amp; b',
  '&lt;tag&gt;',
  '&quot;q&quot; &apos;a&apos;',
  '&amp;lt;',
  'http://x/a?b=1&amp;c=2',
  '中文',
  '${ext}',
  '\u00a0nbsp\u00a0',
];
const OUTSIDE = ['<!-- c -->', ' a="1"', '&#38;', '&nbsp;', '<![CDATA[x]]>', 'mixed<B/>', '<?pi x?>'];

function element(rand: Rand, depth: number): string {
  const name = pick(rand, NAMES);
  const pad = () => pick(rand, ['', ' ', '\n  ', '\r\n', '\t']);
  const r = rand();
  if (r < 0.01) return `<${name}${pick(rand, OUTSIDE)}>x</${name}>`;
  if (r < 0.1) return `<${name}${pick(rand, ['', ' '])}/>`;
  if (depth >= 3 || r < 0.5) return `<${name}>${pad()}${pick(rand, VALUES)}${pad()}</${name} >`;
  const kids = Array.from({ length: 1 + int(rand, 4) }, () => pad() + element(rand, depth + 1)).join('');
  return `<${name}>${kids}${pad()}</${name}>`;
}

function document(rand: Rand): string {
  const decl = pick(rand, ['', '<?xml version="1.0"?>\n', "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>"]);
  return `${decl}${pick(rand, ['', '\n'])}<Request>${Array.from({ length: 1 + int(rand, 5) }, () => element(rand, 1)).join('')}</Request>${pick(rand, ['', '\n'])}`;
}

describe('readCiXml: the one-pass reader for CI-shaped bodies', () => {
  it.each(SEEDS.map((s, i) => [i + 1, s]))('reads seed request %i into the general parser’s tree', (_, seed) => {
    const tree = readCiXml(seed);
    expect(tree).toBeDefined();
    expect(tree).toStrictEqual(general(seed));
  });

  it('reads scalars as trimmed strings, repeats as arrays and empty elements as empty strings', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Request>\n <A> 1 </A><B/><C></C><D>x</D><D>y</D><D><E>z</E></D>\n <F>a &amp;amp; &lt;b&gt; &quot;&apos;</F></Request>\n';
    expect(readCiXml(xml)).toStrictEqual({ Request: { A: '1', B: '', C: '', D: ['x', 'y', { E: 'z' }], F: 'a &amp; <b> "\'' } });
    expect(readCiXml(xml)).toStrictEqual(general(xml));
  });

  it('keeps other Object.prototype member names as plain keys', () => {
    const xml = '<Request><isPrototypeOf>a</isPrototypeOf><isPrototypeOf>b</isPrototypeOf><toLocaleString>c</toLocaleString></Request>';
    expect(readCiXml(xml)).toStrictEqual({ Request: { isPrototypeOf: ['a', 'b'], toLocaleString: 'c' } });
    expect(readCiXml(xml)).toStrictEqual(general(xml));
  });

  it.each([
    ['a comment', '<Request><!-- c --><Tag>x</Tag></Request>'],
    ['CDATA', '<Request><Tag><![CDATA[x]]></Tag></Request>'],
    ['an attribute', '<Request a="1"><Tag>x</Tag></Request>'],
    ['a character reference', '<Request><Tag>&#38;</Tag></Request>'],
    ['an HTML entity', '<Request><Tag>&nbsp;</Tag></Request>'],
    ['mixed content', '<Request>text<Tag>x</Tag></Request>'],
    ['a namespace prefix', '<Request><a:Tag>x</a:Tag></Request>'],
    ['a non-ASCII name', '<Request><中文>x</中文></Request>'],
    ['__proto__', '<Request><__proto__><polluted>1</polluted></__proto__></Request>'],
    ['a name the general parser renames', '<Request><toString>x</toString></Request>'],
    ['a byte order mark', '\uFEFF<Request/>'],
    ['a processing instruction', '<Request><?pi x?></Request>'],
    ['a DOCTYPE', '<!DOCTYPE Request><Request/>'],
    ['an unclosed element', '<Request><Tag>x</Tag>'],
    ['a mismatched close', '<Request><Tag>x</Request>'],
    ['a bare &', '<Request><Tag>a & b</Tag></Request>'],
    ['two roots', '<Request/><Request/>'],
    ['text outside the root', 'x<Request/>'],
    ['a malformed declaration', '<?xml version="2"?><Request/>'],
  ])('leaves %s to the general path', (_, xml) => {
    expect(readCiXml(xml)).toBeUndefined();
  });

  it('stops at the general parser’s nesting limit, where it does', () => {
    const deep: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, maxDepth: 1000 };
    const nested = (open: number) => `<Request>${'<A>'.repeat(open - 1)}v${'</A>'.repeat(open - 1)}</Request>`;
    expect(readCiXml(nested(101), deep)).toStrictEqual(general(nested(101), deep));
    expect(general(nested(102), deep)).toMatchObject({ refused: expect.stringMatching(/nested tags/) });
    expect(readCiXml(nested(102), deep)).toBeUndefined();
  });

  it('agrees with the general path on every document it reads (2,000 generated, 3,000 mutated)', () => {
    const random = prng(11);
    let read = 0;
    const bodies = [
      ...Array.from({ length: 2000 }, () => document(random)),
      ...Array.from({ length: 3000 }, (_, n) => mutate(random, SEEDS[n % 3]!).body),
    ];
    for (const body of bodies) {
      const tree = readCiXml(body);
      if (tree === undefined) continue;
      read++;
      expect(tree, body).toStrictEqual(general(body));
    }
    // The reader must carry the common case, or the submit path silently loses its speed.
    expect(read).toBeGreaterThan(1300);
  });

  it('never reads a body the shape limits refuse (tight and default limits, 4,000 bodies)', () => {
    const tight: RequestLimits = { maxDepth: 4, maxElements: 25, maxFragments: 2, maxStringLength: 40 };
    const random = prng(12);
    let read = 0;
    let refused = 0;
    for (let n = 0; n < 4000; n++) {
      const body = n % 2 === 0 ? document(random) : mutate(random, SEEDS[n % 3]!).body;
      for (const limits of [tight, DEFAULT_REQUEST_LIMITS]) {
        let refusal: unknown;
        try {
          checkRequestLimits(body, limits);
        } catch (err) {
          refusal = err;
          refused++;
        }
        const tree = readCiXml(body, limits);
        if (tree === undefined) continue;
        read++;
        expect(refusal, body).toBeUndefined();
      }
    }
    expect(read).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });

  it.each([
    ['nesting', { maxDepth: 2 }, '<Request><A><B>x</B></A></Request>', '<Request><A>x</A></Request>'],
    ['elements', { maxElements: 3 }, '<Request><A/><B/><C/></Request>', '<Request><A/><B/></Request>'],
    ['fragments', { maxFragments: 1 }, '<Request><ConcatFragment/><ConcatFragment/></Request>', '<Request><ConcatFragment/></Request>'],
    ['text length', { maxStringLength: 10 }, '<Request><A>12345678901</A></Request>', '<Request><A>1234567</A></Request>'],
  ])('leaves a body past the %s limit to the general path, and reads one within it', (_, limit, over, within) => {
    const limits = { ...DEFAULT_REQUEST_LIMITS, ...limit };
    expect(readCiXml(over, limits)).toBeUndefined();
    expect(() => checkRequestLimits(over, limits)).toThrow();
    expect(readCiXml(within, limits)).toStrictEqual(general(within, limits));
  });
});

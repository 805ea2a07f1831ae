// The body shape limits: each refused with its code and the variable's name, quickly, and never a
// false refusal of the documented requests.
import { describe, expect, it } from 'vitest';
import { checkRequestLimits, DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../../src/wire/limits.js';
import { parseRequestXml } from '../../src/wire/xml.js';
import { SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3 } from '../fixtures/seed-examples.js';

const L: RequestLimits = { maxDepth: 8, maxElements: 50, maxFragments: 3, maxStringLength: 100 };

function refusal(text: string, limits = L): { code: string; status: number; message: string } | undefined {
  try {
    checkRequestLimits(text, limits);
    return undefined;
  } catch (e) {
    const err = e as { code: string; status: number; message: string };
    return { code: err.code, status: err.status, message: err.message };
  }
}

const fragments = (n: number) =>
  `<Request><Operation><ConcatTemplate>${'<ConcatFragment><Url>a.mp4</Url></ConcatFragment>'.repeat(n)}</ConcatTemplate></Operation></Request>`;

describe('checkRequestLimits', () => {
  it('passes the documented requests with the defaults', () => {
    for (const seed of [SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3]) expect(refusal(seed, DEFAULT_REQUEST_LIMITS)).toBeUndefined();
  });

  it('refuses deep nesting (MAX_XML_DEPTH) as InvalidContent', () => {
    expect(refusal(`${'<a>'.repeat(8)}x${'</a>'.repeat(8)}`)).toBeUndefined();
    expect(refusal(`${'<a>'.repeat(9)}x${'</a>'.repeat(9)}`)).toMatchObject({
      code: 'InvalidContent',
      status: 400,
      message: expect.stringContaining('MAX_XML_DEPTH'),
    });
    // Unclosed tags count too, and self-closing ones do not nest.
    expect(refusal('<a>'.repeat(100))).toMatchObject({ code: 'InvalidContent' });
    expect(refusal(`<a>${'<b/>'.repeat(40)}</a>`)).toBeUndefined();
    // A `>` inside a quoted attribute does not end the tag early.
    expect(refusal('<a x="/>">'.repeat(9))).toMatchObject({ message: expect.stringContaining('MAX_XML_DEPTH') });
  });

  it('refuses too many elements (MAX_XML_ELEMENTS) as InvalidContent', () => {
    expect(refusal(`<Request>${'<a/>'.repeat(49)}</Request>`)).toBeUndefined();
    expect(refusal(`<Request>${'<a/>'.repeat(50)}</Request>`)).toMatchObject({
      code: 'InvalidContent',
      message: expect.stringContaining('MAX_XML_ELEMENTS'),
    });
  });

  it('refuses too many fragments (MAX_FRAGMENTS) as InvalidArgument naming the path', () => {
    expect(refusal(fragments(3))).toBeUndefined();
    expect(refusal(fragments(4))).toMatchObject({
      code: 'InvalidArgument',
      message: 'Request.Operation.ConcatTemplate.ConcatFragment: at most 3 ConcatFragment elements are allowed (MAX_FRAGMENTS)',
    });
  });

  it('refuses long text, CDATA, names and tags (MAX_STRING_LENGTH) as InvalidArgument', () => {
    expect(refusal(`<Request><UserData>${'x'.repeat(100)}</UserData></Request>`)).toBeUndefined();
    expect(refusal(`<Request><UserData>${' '.repeat(500)}x${' '.repeat(500)}</UserData></Request>`)).toBeUndefined();
    expect(refusal(`<Request><UserData>${'x'.repeat(101)}</UserData></Request>`)).toMatchObject({
      code: 'InvalidArgument',
      message: 'Request.UserData: a text value is longer than 100 characters (MAX_STRING_LENGTH)',
    });
    expect(refusal(`<Request><U><![CDATA[${'x'.repeat(101)}]]></U></Request>`)).toMatchObject({
      message: expect.stringContaining('MAX_STRING_LENGTH'),
    });
    expect(refusal(`<Request><${'N'.repeat(200)}>x</${'N'.repeat(200)}></Request>`)).toMatchObject({
      message: expect.stringContaining('element tag'),
    });
    expect(refusal(`<Request><a b="${'x'.repeat(200)}"/></Request>`)).toMatchObject({ message: expect.stringContaining('element tag') });
  });

  it('skips comments and processing instructions', () => {
    expect(refusal(`<?xml version="1.0"?><!-- ${'<a>'.repeat(100)} --><Request/>`)).toBeUndefined();
  });

  it('scans a 1 MiB hostile body in a few milliseconds', () => {
    const bodies = [
      `<Request>${'<a>'.repeat(300_000)}`,
      `<Request>${'<a/>'.repeat(250_000)}</Request>`,
      `<Request><a>${'x'.repeat(1_000_000)}</a></Request>`,
      `<Request><a b="${'"'.repeat(1_000_000)}`,
      '<'.repeat(1_000_000),
    ];
    for (const body of bodies) {
      const t = performance.now();
      refusal(body, DEFAULT_REQUEST_LIMITS);
      expect(performance.now() - t).toBeLessThan(200);
    }
  });
});

describe('parseRequestXml and entity expansion', () => {
  it('refuses a billion-laughs body at once, without expanding anything', () => {
    const lol = [
      '<!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
    ].join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE Request [${lol}]><Request><UserData>&lol9;</UserData></Request>`;
    const t = performance.now();
    expect(() => parseRequestXml(bomb)).toThrow(expect.objectContaining({ code: 'InvalidContent' }));
    expect(performance.now() - t).toBeLessThan(50);
  });

  it('leaves unknown and numeric references as text (no external or internal expansion)', () => {
    expect(parseRequestXml('<Request><UserData>&lol;&#x41;</UserData></Request>')).toEqual({ UserData: '&lol;&#x41;' });
  });
});

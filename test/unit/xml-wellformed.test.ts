import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { quickWellFormed } from '../../src/wire/xml-wellformed.js';
import { mutate, prng } from '../helpers/fuzz.js';
import { SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3 } from '../fixtures/seed-examples.js';

/** The general validator the XML reader falls back to when the quick check is unsure. */
const validateGeneral = (xml: string) =>
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- src/wire/xml.ts still validates with this one; fast-xml-validator is not a dependency
  XMLValidator.validate(xml);

describe('quickWellFormed', () => {
  it.each([
    '<Request/>',
    '<?xml version="1.0" encoding="UTF-8"?>\n<Request><Tag>Concat</Tag></Request>\n',
    '<Request><A>a &amp; b &#38; &#x26; &lt;</A><B/><C ></C><!-- c --><D><![CDATA[<&>]]></D></Request>',
    '<Request><中文>值</中文></Request>',
    SEED_REQUEST_1,
    SEED_REQUEST_2,
    SEED_REQUEST_3,
  ])('accepts well-formed %#', (xml) => {
    expect(quickWellFormed(xml)).toEqual({ ok: true });
    expect(validateGeneral(xml)).toBe(true);
  });

  it.each([
    ['<Request><Tag>Concat</Tag>', /<Request> is never closed/],
    ['<Request><Tag>Concat</Request>', /<\/Request> closes <Tag>/],
    ['<Request></Request></Extra>', /closing tag <\/Extra> with no open element/],
    ['hello <Request/>', /text outside the root element/],
    ['<Request>a & b</Request>', /bare '&'/],
    ['<Request><1Tag>x</1Tag></Request>', /invalid element name/],
    ['<Request><<Tag>x</Tag></Request>', /invalid element name/],
    ['<Request><!-- x </Request>', /unclosed comment/],
    ['', /no root element/],
  ])('refuses %j, as the general validator does', (xml, problem) => {
    const r = quickWellFormed(xml);
    expect(r).toMatchObject({ ok: false, problem: expect.stringMatching(problem) });
    expect(validateGeneral(xml)).not.toBe(true);
  });

  it('refuses a second root element (which the general validator lets through)', () => {
    expect(quickWellFormed('<Request/><Request/>')).toMatchObject({ ok: false, problem: 'more than one root element' });
  });

  it('leaves attributes and DOCTYPEs to the general validator', () => {
    expect(quickWellFormed('<Request a="1"><Tag>x</Tag></Request>')).toEqual({ ok: 'unsure' });
    expect(quickWellFormed('<!DOCTYPE x><Request/>')).toEqual({ ok: 'unsure' });
  });

  it('never calls a body well-formed that the general validator refuses (1000 mutated seed bodies)', () => {
    const random = prng(7);
    let decided = 0;
    for (let n = 0; n < 1000; n++) {
      const seed = [SEED_REQUEST_1, SEED_REQUEST_2, SEED_REQUEST_3][n % 3]!;
      const { body } = mutate(random, seed);
      const quick = quickWellFormed(body);
      const full = validateGeneral(body) === true;
      if (quick.ok === true) expect(full, body).toBe(true);
      if (quick.ok !== 'unsure') decided++;
    }
    expect(decided).toBeGreaterThan(750);
  });
});

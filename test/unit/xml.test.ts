import { describe, expect, it } from 'vitest';
import { buildXml, parseRequestXml } from '../../src/wire/xml.js';

describe('parseRequestXml', () => {
  it('keeps scalars as strings and repeated elements as arrays', () => {
    const tree = parseRequestXml(
      '<Request><Tag>Concat</Tag><Operation><JobLevel>2</JobLevel><ConcatTemplate><ConcatFragment><Url>a</Url></ConcatFragment><ConcatFragment><Url>b</Url></ConcatFragment></ConcatTemplate></Operation></Request>',
    );
    expect(tree).toEqual({
      Tag: 'Concat',
      Operation: { JobLevel: '2', ConcatTemplate: { ConcatFragment: [{ Url: 'a' }, { Url: 'b' }] } },
    });
  });

  it('leaves a single element as it is (readers accept one or several)', () => {
    expect(parseRequestXml('<Request><ConcatFragment><Url>a</Url></ConcatFragment></Request>')).toEqual({ ConcatFragment: { Url: 'a' } });
  });

  it('decodes the standard XML entities', () => {
    expect(parseRequestXml('<Request><UserData>a&amp;b&lt;c</UserData></Request>')).toEqual({ UserData: 'a&b<c' });
  });

  it('refuses an empty body as MissingContent', () => {
    expect(() => parseRequestXml('  ')).toThrow(expect.objectContaining({ code: 'MissingContent', status: 400 }));
  });

  it('refuses malformed XML as InvalidContent with the position', () => {
    expect(() => parseRequestXml('<Request><Tag>Concat</Request>')).toThrow(
      expect.objectContaining({ code: 'InvalidContent', message: expect.stringMatching(/not well-formed.*line 1/) }),
    );
  });

  it('refuses a DOCTYPE (no entity expansion)', () => {
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><Request><Tag>&lol2;</Tag></Request>';
    expect(() => parseRequestXml(bomb)).toThrow(expect.objectContaining({ code: 'InvalidContent' }));
  });

  it('requires the <Request> root', () => {
    expect(() => parseRequestXml('<Foo><Tag>x</Tag></Foo>')).toThrow(/root element <Request>/);
  });
});

describe('buildXml', () => {
  it('escapes markup characters and skips undefined values', () => {
    expect(buildXml('R', { A: `<&>"'`, B: undefined, C: 3, D: {} })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<R><A>&lt;&amp;&gt;&quot;&apos;</A><C>3</C><D/></R>',
    );
  });

  it('writes arrays as repeated elements and empty strings as self-closing elements', () => {
    expect(
      buildXml('Response', {
        JobsDetail: [
          { Code: 'Success', Message: '' },
          { Code: 'X', Message: 'a<b' },
        ],
      }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><JobsDetail><Code>Success</Code><Message/></JobsDetail><JobsDetail><Code>X</Code><Message>a&lt;b</Message></JobsDetail></Response>',
    );
  });
});

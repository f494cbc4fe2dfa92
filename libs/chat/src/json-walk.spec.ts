import { checkRawShape, formatPath, MAX_JSON_VALUES, walkJson } from './json-walk';

const shape = (text: string) => () => checkRawShape(Buffer.from(text));

describe('checkRawShape', () => {
  it('ignores brackets and commas inside strings, escaped quotes included', () => {
    const brackets = '['.repeat(100);
    expect(shape(`{"a":"${brackets}","b":"x\\"${brackets}","c":"\\\\"}`)).not.toThrow();
    expect(shape(`{"a":"${','.repeat(MAX_JSON_VALUES + 10)}"}`)).not.toThrow();
  });

  it('sees nesting right after a string that ends in an escaped backslash', () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    expect(shape(`{"a":"\\\\","b":${deep}}`)).toThrow(
      expect.objectContaining({ code: 'nesting_too_deep' }),
    );
  });

  it('refuses more values than the cap, counting separators and containers', () => {
    expect(shape(`[${'1,'.repeat(MAX_JSON_VALUES)}1]`)).toThrow(
      expect.objectContaining({ status: 400, code: 'too_many_values' }),
    );
    expect(shape(`[${'1,'.repeat(MAX_JSON_VALUES - 2)}1]`)).not.toThrow();
  });

  it('leaves malformed JSON to the parser', () => {
    expect(shape('{"a":"unterminated')).not.toThrow();
    expect(shape(']]]]')).not.toThrow();
  });
});

describe('walkJson', () => {
  it('visits in document order with exact paths', () => {
    const seen: Array<string | null> = [];
    walkJson({ a: [1, { b: 'x' }], c: null }, (_v, _k, cursor) => {
      seen.push(cursor.path());
    });
    expect(seen).toEqual([null, 'a', 'a[0]', 'a[1]', 'a[1].b', 'c']);
  });

  it('skips the children of a value when the visitor returns false', () => {
    const seen: Array<string | null> = [];
    walkJson({ a: { b: 1 }, c: 2 }, (_v, key, cursor) => {
      seen.push(cursor.path());
      return key !== 'a';
    });
    expect(seen).toEqual([null, 'a', 'c']);
  });

  it('refuses containers deeper than 32 levels', () => {
    let deep: unknown = {};
    for (let i = 0; i < 32; i++) {
      deep = { a: deep };
    }
    expect(() => walkJson(deep, () => undefined)).toThrow(
      expect.objectContaining({ code: 'nesting_too_deep' }),
    );
    expect(() => walkJson((deep as { a: unknown }).a, () => undefined)).not.toThrow();
  });

  it('formats paths', () => {
    expect(formatPath([])).toBeNull();
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(['messages', 1, 'content', 0, 'image_url', 'url'])).toBe(
      'messages[1].content[0].image_url.url',
    );
  });
});

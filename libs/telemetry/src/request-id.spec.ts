import { requestIdFor } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFor', () => {
  it('keeps a well-formed client id', () => {
    expect(requestIdFor('req_01HZ:abc-1.2')).toBe('req_01HZ:abc-1.2');
    expect(requestIdFor('a'.repeat(128))).toBe('a'.repeat(128));
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['odd characters', 'abc<script>'],
    ['CR/LF', 'abc\r\nX-Evil: 1'],
    ['a space', 'abc def'],
    ['empty', ''],
    ['repeated header', ['a', 'b']],
    ['absent', undefined],
  ])('replaces an id that is %s with a generated UUID', (_case, given) => {
    expect(requestIdFor(given)).toMatch(UUID);
  });
});

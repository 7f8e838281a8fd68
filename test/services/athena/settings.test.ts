import { ConfigError } from '../../../src/errors';
import { parseNamedQueries } from '../../../src/services/athena/settings';

describe('namedQueries', () => {
  it('keeps types that are Trino types and refuses, at start-up, one that is not', () => {
    expect(parseNamedQueries([{ name: 'q', sql: 'SELECT 1', types: { tags: 'array(varchar)' } }])).toStrictEqual([
      { name: 'q', sql: 'SELECT 1', types: { tags: 'array(varchar)' } },
    ]);
    expect(() => parseNamedQueries([{ name: 'q', sql: 'SELECT 1', types: { tags: 'array(varchar' } }])).toThrow(
      new ConfigError('namedQueries[0] (q).types.tags: Type "array(varchar" is not a Trino type: expected ")" at offset 13'),
    );
  });
});

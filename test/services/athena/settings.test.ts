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

  it('refuses two named queries with the same SQL and different types: an execution is matched by its SQL', () => {
    expect(() =>
      parseNamedQueries([
        { name: 'a', sql: 'SELECT [1] AS xs', types: { xs: 'array(integer)' } },
        { name: 'b', sql: 'SELECT [1] AS xs' },
      ]),
    ).toThrow(new ConfigError("namedQueries[1] (b).types: 'a' has the same sql with other types; give them the same types or one query"));
    expect(parseNamedQueries([{ name: 'a', sql: 'SELECT 1' }, { name: 'b', sql: 'SELECT 1' }])).toHaveLength(2);
  });
});

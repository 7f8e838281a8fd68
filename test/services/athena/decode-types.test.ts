import { AthenaTypeError, formatType, parseType } from '../../../src/services/athena/types';

const scalar = (name: string, params: number[] = []) => ({ kind: 'scalar', name, params });

describe('parseType (Trino type grammar)', () => {
  test('scalars, with parameters, multi-word names and aliases', () => {
    expect(parseType('BIGINT')).toStrictEqual(scalar('bigint'));
    expect(parseType('decimal(38, 10)')).toStrictEqual(scalar('decimal', [38, 10]));
    expect(parseType('varchar(10)')).toStrictEqual(scalar('varchar', [10]));
    expect(parseType('timestamp(3) with time zone')).toStrictEqual(scalar('timestamp with time zone', [3]));
    expect(parseType('interval day to second')).toStrictEqual(scalar('interval day to second'));
    expect(parseType('int')).toStrictEqual(scalar('integer'));
    expect(parseType('double precision')).toStrictEqual(scalar('double'));
    expect(parseType('array')).toStrictEqual(scalar('array')); // what ColumnInfo says
  });

  test('nested types, named and anonymous row fields, quoted names', () => {
    expect(parseType('array(row(a bigint, b array(varchar)))')).toStrictEqual({
      kind: 'array',
      element: {
        kind: 'row',
        fields: [
          { name: 'a', type: scalar('bigint') },
          { name: 'b', type: { kind: 'array', element: scalar('varchar') } },
        ],
      },
    });
    expect(parseType('map(varchar, bigint)')).toStrictEqual({ kind: 'map', key: scalar('varchar'), value: scalar('bigint') });
    expect(parseType('row(Ts timestamp(3) with time zone, "a b" integer, timestamp with time zone, double)')).toStrictEqual({
      kind: 'row',
      fields: [
        { name: 'Ts', type: scalar('timestamp with time zone', [3]) },
        { name: 'a b', type: scalar('integer') },
        { name: null, type: scalar('timestamp with time zone') },
        { name: null, type: scalar('double') },
      ],
    });
  });

  test('formatType prints the canonical text back', () => {
    for (const text of [
      'array(row(a bigint, b array(varchar)))',
      'map(varchar(10), decimal(38,10))',
      'row(x integer, "a b" varchar, timestamp(6) with time zone)',
    ]) {
      expect(formatType(parseType(text))).toBe(text);
    }
  });

  test('errors quote the text and the offset', () => {
    expect(() => parseType('array(integer')).toThrow(
      new AthenaTypeError('Type "array(integer" is not a Trino type: expected ")" at offset 13'),
    );
    expect(() => parseType('map(varchar)')).toThrow('Type "map(varchar)" is not a Trino type: expected "," at offset 11');
    expect(() => parseType('decimal(a)')).toThrow('expected a number at offset 8');
    expect(() => parseType('array x')).toThrow('expected "(" after array at offset 0');
    expect(() => parseType('')).toThrow('expected a type name at offset 0');
    expect(() => parseType('row("a integer)')).toThrow('unterminated quoted name at offset 4');
  });
});

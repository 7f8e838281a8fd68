import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { INSTANT_FORMS, parseInstant } from '../services/time/instant';

function toDate(value: unknown): Date {
  const ms = typeof value === 'string' ? parseInstant(value) : undefined;
  if (ms === undefined) throw new GraphQLError(`DateTime: expected ${INSTANT_FORMS}, got ${JSON.stringify(value)}`);
  return new Date(ms);
}

/**
 * DateTime, as clients of other GraphQL APIs know it (graphql-scalars' RFC 3339 output), that also takes a
 * date alone as input, as the CLI does: `gaps(from: "2024-03-04")` means midnight UTC, so the API and
 * `gapwatch check --from 2024-03-04` judge the same window.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, Date>({
  name: 'DateTime',
  description:
    'An instant. Output: RFC 3339 in UTC (2024-03-04T13:00:00.000Z). Input: an ISO-8601 date-time with a zone (2024-03-04T09:30:00-05:00) or a date alone (2024-03-04), which means midnight UTC.',
  serialize: (value) => GraphQLDateTime.serialize(value),
  parseValue: toDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(`DateTime: expected ${INSTANT_FORMS} as a string`, { nodes: ast });
    return toDate(ast.value);
  },
});

/**
 * The conformance suite of issue 22: Athena queries with the answers Trino's and Athena's documentation give
 * (cases.ts), run through the real SDK against the embedded endpoint. Each either matches exactly (column
 * types and every rendered cell) or is refused with NOT_SUPPORTED, as docs/embedded-athena.md lists; none
 * may succeed with a different answer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { runQuery, startHarness, type Harness } from '../../helpers';
import { CASES, type Expected, type Refused } from './cases';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.stop());

const expected = CASES.filter((c): c is Expected => 'types' in c);
const refused = CASES.filter((c): c is Refused => 'refused' in c);

it('has at least 200 documented queries, each citing its source', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(200);
  for (const c of CASES) expect(c.source).toMatch(/^https:\/\/(trino\.io\/docs|docs\.aws\.amazon\.com\/athena)\//);
  expect(new Set(CASES.map((c) => c.sql)).size).toBe(CASES.length);
});

it.each(expected.map((c) => [c.sql, c] as const))('answers %s as documented', async (_sql, c) => {
  const { id, execution } = await runQuery(h.client, c.sql);
  expect(execution.Status!.StateChangeReason).toBeUndefined();
  const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
  const types = res.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((i) => i.Type);
  const rows = res.ResultSet!.Rows!.slice(1).map((r) => r.Data!.map((d) => d.VarCharValue ?? null));
  expect({ types, rows }).toStrictEqual({ types: c.types, rows: c.rows });
});

it.each(refused.map((c) => [c.sql, c] as const))('refuses %s with NOT_SUPPORTED', async (_sql, c) => {
  const { execution } = await runQuery(h.client, c.sql);
  expect(execution.Status!.State).toBe('FAILED');
  expect(execution.Status!.StateChangeReason).toMatch(/^NOT_SUPPORTED: /);
  expect(execution.Status!.StateChangeReason).toContain(c.refused);
});

it('lists every refused query in docs/embedded-athena.md', () => {
  const doc = readFileSync(join(__dirname, '../../../../docs/embedded-athena.md'), 'utf8');
  for (const c of refused) expect(doc).toContain(`- \`${c.sql}\` — ${c.refused}`);
  expect(doc).toContain(`${expected.length} of the ${CASES.length} queries match Athena's documented answer exactly; ${refused.length} are refused`);
});

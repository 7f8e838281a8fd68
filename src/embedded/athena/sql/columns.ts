/** Athena's output column names, derived from DuckDB's own parse tree. */

/** Top-level select list as DuckDB's `json_serialize_sql` prints it (only the fields we read). */
interface SerializedExpr {
  class: string;
  type?: string;
  alias?: string;
  column_names?: string[];
}
interface SerializedNode {
  type: string;
  select_list?: SerializedExpr[];
  left?: SerializedNode;
}

/**
 * Trino names an output column after its alias, or after the column a bare column reference reads;
 * every other unnamed expression is `_col<i>` (0-based position). DuckDB instead names it after the
 * expression text (`count_star()`), so we rename from DuckDB's own parse tree. When the select list
 * contains `*`/COLUMNS(…) positions cannot be matched, and DuckDB's names are kept.
 */
export function athenaColumnNames(serialized: string | null, duckNames: readonly string[]): string[] {
  if (!serialized) return [...duckNames];
  let node: SerializedNode | undefined;
  try {
    const parsed = JSON.parse(serialized) as { error?: boolean; statements?: { node: SerializedNode }[] };
    if (parsed.error || parsed.statements?.length !== 1) return [...duckNames];
    node = parsed.statements[0].node;
  } catch {
    return [...duckNames];
  }
  while (node && node.type === 'SET_OPERATION_NODE') node = node.left;
  const list = node?.type === 'SELECT_NODE' ? node.select_list : undefined;
  if (!list || list.length !== duckNames.length) return [...duckNames];
  if (list.some((e) => e.class === 'STAR' || e.type === 'STAR' || e.class === 'COLUMNS')) return [...duckNames];
  return list.map((e, i) => {
    if (e.alias) return duckNames[i];
    if (e.class === 'COLUMN_REF') return duckNames[i];
    return `_col${i}`;
  });
}

// Fetches a window's bucket series off the page's thread and hands it over packed.
//
// A 500-group × 744-bucket window is 372,000 buckets of JSON (tens of MB); parsing that on the page's
// thread would freeze it for as long. Here it is asked for in chunks of groups that stay within the
// server's maxSeriesCells, parsed, and each chunk goes to the page as typed arrays (transferred, not copied).
import { stateOf } from './heatmap.js';
import { gql, GraphQLRequestError } from './graphql.js';

/** The server's default maxSeriesCells; a LIMIT_EXCEEDED answer names the configured one and the plan adapts. */
const DEFAULT_SERIES_CELLS = 100_000;

const REPORT = `status from to bucket timezone checkedAt trigger checkedBuckets pendingBuckets`;

let current = 0;

self.onmessage = (e) => {
  const job = e.data;
  current = job.id;
  load(job).catch((err) => {
    if (job.id !== current) return;
    self.postMessage({
      id: job.id,
      type: 'error',
      message: err.message,
      code: err.code ?? null,
      status: err.status ?? null,
    });
  });
};

/**
 * job: { id, key, dataset, from, to, bucketMs, groups: string[] | null, only: string[] | null }
 * `only`: refresh just these groups (after a repair), keeping the rest of the grid.
 */
async function load(job) {
  const buckets = Math.ceil((Date.parse(job.to) - Date.parse(job.from)) / job.bucketMs) + 1;
  let groups = job.only ?? job.groups;
  let report = null;
  if (!groups) {
    // Every group seen in the window: one check without series names them, then chunks of them.
    const data = await gql(job.key, `query StatusGroups($dataset: String!, $from: DateTime!, $to: DateTime!) {
      gaps(dataset: $dataset, from: $from, to: $to) { ${REPORT} groups }
    }`, { dataset: job.dataset, from: job.from, to: job.to });
    report = data.gaps;
    groups = report.groups;
    if (job.id !== current) return;
    self.postMessage({ id: job.id, type: 'report', report, groups });
  }
  let limit = DEFAULT_SERIES_CELLS;
  let done = 0;
  let shaped = job.only !== null && job.only !== undefined;
  while (done < groups.length) {
    const size = Math.max(1, Math.floor(limit / buckets));
    const chunk = groups.slice(done, done + size);
    let data;
    try {
      data = await gql(job.key, `query StatusSeries($dataset: String!, $from: DateTime!, $to: DateTime!, $groups: [String!]) {
        gaps(dataset: $dataset, from: $from, to: $to, groups: $groups) { ${REPORT} series { group buckets { start count expected status } } }
      }`, { dataset: job.dataset, from: job.from, to: job.to, groups: chunk });
    } catch (err) {
      const ext = err instanceof GraphQLRequestError ? err.extensions : null;
      if (ext?.code === 'LIMIT_EXCEEDED' && ext.limit === 'maxSeriesCells' && typeof ext.value === 'number' && ext.value < limit) {
        limit = ext.value;
        continue;
      }
      throw err;
    }
    if (job.id !== current) return;
    // Only the report's own fields go to the page: its series stays here (a copy of it would cost the page's
    // thread as much as parsing it there).
    const { series, ...meta } = data.gaps;
    const B = series[0]?.buckets.length ?? 0;
    if (!shaped) {
      // The bucket grid is the same for every group of a check: take it from the first.
      const starts = new Float64Array(B);
      const ends = new Float64Array(B);
      const bucketMs = job.bucketMs;
      series[0]?.buckets.forEach((b, i) => (starts[i] = Date.parse(b.start)));
      for (let i = 0; i < B; i++) ends[i] = i + 1 < B ? starts[i + 1] : Date.parse(meta.to) || starts[i] + bucketMs;
      self.postMessage({ id: job.id, type: 'shape', report: report ?? meta, groups, starts, ends }, [starts.buffer, ends.buffer]);
      shaped = true;
    }
    const status = new Uint8Array(chunk.length * B);
    const count = new Float64Array(chunk.length * B);
    const expected = new Float64Array(chunk.length * B);
    const byGroup = new Map(series.map((s) => [s.group, s.buckets]));
    chunk.forEach((group, r) => {
      const list = byGroup.get(group) ?? [];
      for (let i = 0; i < B; i++) {
        const b = list[i];
        if (!b) continue;
        status[r * B + i] = stateOf(b.status, b.expected);
        count[r * B + i] = b.count;
        expected[r * B + i] = b.expected;
      }
    });
    self.postMessage({ id: job.id, type: 'rows', groups: chunk, first: done, report: meta, status, count, expected }, [status.buffer, count.buffer, expected.buffer]);
    done += chunk.length;
  }
  self.postMessage({ id: job.id, type: 'done' });
}

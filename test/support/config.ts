/**
 * The gapwatch config the end-to-end tests run against: the embedded sample table `market.ticks`,
 * watched hourly for AMZN, GOOG and WORK (60 ticks expected per hour, under 80% is a gap), repaired by the
 * embedded backend's built-in sample repair (`repair: sample`, refused on the aws backend).
 */

/** The `stock_ticks` dataset, as one `datasets:` list entry. */
const STOCK_TICKS_DATASET_YAML = `  - name: stock_ticks
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    groups: [AMZN, GOOG, WORK]
    bucket: 1h
    expectedPerBucket: 60
    minRatio: 0.8
    settle: 15m
    repair: sample
    schedule: 1h
`;

/** STOCK_TICKS_YAML's dataset without its repair, as an aws-mode gapwatch must be configured. */
export const WITHOUT_SAMPLE_REPAIR = (yaml: string): string => yaml.replace('    repair: sample\n', '');

/**
 * A whole config file: the `market` database and the `stock_ticks` dataset, last, so a test can append
 * datasets of its own (`${STOCK_TICKS_YAML}  - name: …`).
 */
export const STOCK_TICKS_YAML = `
athena:
  database: market
datasets:
${STOCK_TICKS_DATASET_YAML}`;

/**
 * One more `datasets:` entry over `market.ticks` by symbol, hourly with 60 expected, plus `extra` keys
 * (`{ repair: './r.js' }`), to append to STOCK_TICKS_YAML.
 */
export function ticksDatasetYaml(name: string, extra: Readonly<Record<string, string>> = {}): string {
  const lines = ['database: market', 'table: ticks', 'timestampColumn: capture_datetime', 'groupColumn: symbol', 'bucket: 1h', 'expectedPerBucket: 60'];
  return `  - name: ${name}\n${[...lines, ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`)].map((l) => `    ${l}\n`).join('')}`;
}

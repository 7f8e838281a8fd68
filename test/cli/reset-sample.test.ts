import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestApp } from '../support/app';
import { until } from '../support/runs';

/**
 * README's sample walk-through: "Repair the sample" fixes the planted defects for good (the repair writes
 * to the data dir), so `gapwatch check` on the sample exits 0 afterwards. `gapwatch reset-sample` puts the
 * sample back as first generated, in one line, and refuses while a gapwatch holds the data dir.
 */
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'gapwatch.js');

function gapwatch(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', GAPWATCH_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

const CHECK = ['check', '--dataset', 'stock_ticks', '--from', '2024-03-04', '--to', '2024-03-14'];

it('puts the repaired sample back with its planted defects, and refuses while gapwatch runs', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-reset-'));
  try {
    const t = await startTestApp({ dataDir, config: readFileSync(path.join(ROOT, 'gapwatch.config.yaml'), 'utf8') });
    try {
      const started = await t.gql('mutation { startRepair(dataset: "stock_ticks", from: "2024-03-04", to: "2024-03-14") { id } }');
      const id: string = started.data.startRepair.id;
      let status = 'RUNNING';
      await until('the repair run to end', async () => {
        status = (await t.gql('query ($id: ID!) { run(id: $id) { status } }', { id })).data.run.status;
        return status !== 'RUNNING';
      });
      expect(status).toBe('SUCCEEDED');
      const held = await gapwatch(['reset-sample'], dataDir);
      expect(held).toStrictEqual({
        code: 2,
        stdout: '',
        stderr: `gapwatch: another gapwatch is using the data dir ${dataDir}: stop it first, then run gapwatch reset-sample again\n`,
      });
    } finally {
      await t.stop();
    }
    // The repair persisted: the sample window is clean.
    expect((await gapwatch(CHECK, dataDir)).code).toBe(0);

    expect(await gapwatch(['reset-sample'], dataDir)).toStrictEqual({
      code: 0,
      stdout: `gapwatch: market.ticks in ${dataDir} is the sample as first generated again, planted defects and all (check and run history are kept)\n`,
      stderr: '',
    });
    const after = await gapwatch(CHECK, dataDir);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('GAPS');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

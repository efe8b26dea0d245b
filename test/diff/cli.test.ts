/**
 * CLI end to end for diff, budgets and output hygiene. Runs the built CLI (`pnpm -r run build`)
 * on dive's conformance image (/work/shared/conformance/dive, see EXPECTED.md there).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportSchema } from '../../packages/core/src/report-schema.js';
import { DiffReportSchema } from '../../packages/core/src/diff/diff-schema.js';
import { runCliInProcess } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/cli/dist/main.js');
// shared/ sits beside the repository (on developer machines and in CI's fresh clone alike)
const DIVE_TAR = process.env.DIVE_TEST_IMAGE ?? fileURLToPath(new URL('../../../shared/conformance/dive/test-docker-image.tar', import.meta.url));
const ready = existsSync(CLI) && existsSync(DIVE_TAR);
if (!ready && process.env.CI === 'true') throw new Error(`CI=true but ${existsSync(CLI) ? DIVE_TAR : CLI} is missing`);
const tmp = mkdtempSync(join(tmpdir(), 'imgsize-cli-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], input?: Buffer | string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

function diveCi(eff: string, wasted: string, pct: string): string {
  return file(`dive-ci-${eff}-${wasted}-${pct}`, `rules:\n  lowestEfficiency: ${eff}\n  highestWastedBytes: ${wasted}\n  highestUserWastedPercent: ${pct}\n`);
}

/** In-process run with fake streams, so stderr can claim to be a TTY. */
const runInProcess = (args: string[], stderrIsTTY: boolean) => runCliInProcess(args, { stderrIsTTY });

describe.runIf(ready)('imgsize CLI: stdout carries only the report', () => {
  it('analyze --json with stdout piped prints exactly the JSON report', () => {
    const r = run(['analyze', DIVE_TAR, '--json']);
    expect(r.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
    expect(report.dive.wastedBytes).toBe(32025);
    expect(r.stderr).toBe(''); // stderr is not a TTY: no progress
  });

  it('progress goes to stderr on a TTY, never to stdout; --quiet silences it', async () => {
    const noisy = await runInProcess(['analyze', DIVE_TAR, '--json'], true);
    expect(noisy.code).toBe(0);
    expect(() => ReportSchema.parse(JSON.parse(noisy.stdout))).not.toThrow();
    expect(noisy.stdout.startsWith('{')).toBe(true);
    expect(noisy.stdout).not.toContain('\r');
    expect(noisy.stderr).toMatch(/^\r\u001b\[2K/); // the progress line
    expect(noisy.stderr).not.toContain('{');
    const quiet = await runInProcess(['analyze', DIVE_TAR, '--json', '--quiet'], true);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toBe(noisy.stdout);
  });

  it('--include-files rows are one per line and parse back to the same report', () => {
    const r = run(['analyze', DIVE_TAR, '--json', '--include-files']);
    expect(r.code).toBe(0);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    expect(report.files!.entries.reduce((s, e) => s + e[1], 0)).toBe(report.summary.contentBytes);
    expect(report.files!.entries.reduce((s, e) => s + e[2], 0)).toBe(report.summary.visibleBytes);
    expect(r.stdout).toContain('\n      ["/bin/[",1075464,1075464,"base-image",0],\n');
  });
});

describe.runIf(ready)("imgsize analyze --budget: dive's evaluator cases on dive's image", () => {
  it.each([
    ['0.99', '1B', '0.01', 1, ['fail', 'fail', 'fail']],
    ['0.9', '50kB', '0.5', 0, ['pass', 'pass', 'pass']],
    ['0.9', '1B', '0.5', 1, ['pass', 'fail', 'pass']],
    ['disabled', 'disabled', 'disabled', 0, ['skip', 'skip', 'skip']],
  ] as const)('%s / %s / %s → exit %i', (eff, wasted, pct, code, statuses) => {
    const r = run(['analyze', DIVE_TAR, '--json', '--budget', diveCi(eff, wasted, pct)]);
    expect(r.code).toBe(code);
    const report = ReportSchema.parse(JSON.parse(r.stdout));
    expect(report.budgets!.rules.map((x) => x.status)).toEqual(statuses);
    expect(report.budgets!.rules.map((x) => x.measured)).toEqual([0.9844212134184309, 32025, 0.4834911001404049]);
  });

  it('terminal output ends with the verdict, exit 1 on failure', () => {
    const r = run(['analyze', DIVE_TAR, '--budget', diveCi('0.9', '1B', '0.5')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+dive\.highestWastedBytes\s+32\.0 kB > 1 B/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('FAIL: 1 failed, 2 passed');
  });

  it('a regression budget against a saved baseline', () => {
    const base = run(['analyze', DIVE_TAR, '--json']);
    const baseline = file('baseline.json', base.stdout);
    const budgets = file('budgets.json', JSON.stringify({ maxRegression: { bytes: 0, percent: 0 }, maxTotalBytes: '1.2MB' }));
    const r = run(['analyze', DIVE_TAR, '--json', '--budget', budgets, '--baseline', baseline]);
    expect(r.code).toBe(1);
    const b = ReportSchema.parse(JSON.parse(r.stdout)).budgets!;
    expect(b.rules.map((x) => [x.id, x.status, x.measured])).toEqual([
      ['maxTotalBytes', 'fail', 1220598],
      ['maxRegression.bytes', 'pass', 0],
      ['maxRegression.percent', 'pass', 0],
    ]);
    expect(b.baseline).toBe(DIVE_TAR);
  });

  it.each([
    [['--budget', '/nonexistent/budgets.json'], /E_IO: reading budgets \/nonexistent\/budgets\.json: no such file/],
    [['--budget', 'BAD'], /E_BAD_CONFIG: reading budgets .*maxTotalBytes: "5 MBs" is not a size/],
    [['--budget', 'DIVE_BAD'], /E_BAD_CONFIG: .*line 2: lowestEfficiency 1\.1 is outside the allowed range/],
    [['--baseline', 'x.json'], /--baseline is only used with --budget/],
  ])('input errors exit 2: %j', (extra, msg) => {
    const args = extra.map((a) => (a === 'BAD' ? file('bad.json', '{"maxTotalBytes": "5 MBs"}') : a === 'DIVE_BAD' ? diveCi('1.1', '1B', '0.5') : a));
    const r = run(['analyze', DIVE_TAR, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(msg);
  });
});

describe.runIf(ready)('imgsize diff', () => {
  it('an image against its own saved report: zero deltas, all layers shared', () => {
    const saved = file('self.json', run(['analyze', DIVE_TAR, '--json', '--include-files']).stdout);
    const r = run(['diff', DIVE_TAR, saved, '--json']);
    expect(r.code).toBe(0);
    const d = DiffReportSchema.parse(JSON.parse(r.stdout));
    expect(d.totals.contentBytes.delta).toBe(0);
    expect(d.layers.shared).toHaveLength(14);
    expect(d.layers.added).toHaveLength(0);
    expect(d.after.origin).toBe('saved-report');
    expect(d.paths).toMatchObject({ available: true, top: [] });
  });

  it('a saved report without per-path data says path changes are unavailable', () => {
    const saved = file('nofiles.json', run(['analyze', DIVE_TAR, '--json']).stdout);
    const d = DiffReportSchema.parse(JSON.parse(run(['diff', saved, DIVE_TAR, '--json']).stdout));
    expect(d.paths).toEqual({ available: false, reason: expect.stringMatching(/^the before report has no per-path data/) });
  });

  it('a saved report on stdin', () => {
    const text = run(['analyze', DIVE_TAR, '--json', '--include-files']).stdout;
    const r = run(['diff', '-', DIVE_TAR, '--json'], text);
    expect(r.code).toBe(0);
    expect(DiffReportSchema.parse(JSON.parse(r.stdout)).before).toMatchObject({ ref: 'stdin', origin: 'saved-report' });
  });

  it('terminal and markdown renderings', () => {
    const t = run(['diff', DIVE_TAR, DIVE_TAR]);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('imgsize diff: dive-test:latest → dive-test:latest');
    expect(t.stdout).toContain('Layers: 14 shared (1.22 MB), 0 removed (0 B), 0 added (0 B)');
    const m = run(['diff', DIVE_TAR, DIVE_TAR, '--format', 'markdown']);
    expect(m.stdout).toMatch(/^### imgsize diff: `dive-test:latest` → `dive-test:latest`/);
    expect(Buffer.byteLength(m.stdout)).toBeLessThan(64 * 1024);
  });

  it.each([
    [['-', '-'], /only one side of a diff can be '-'/],
    [['x'], /diff takes exactly two arguments/],
    [['V3', 'TAR'], /E_BAD_CONFIG: reading report .*v3\.json: schemaVersion 3 is not supported \(this imgsize reads 2\)/],
    [['NOTREPORT', 'TAR'], /E_BAD_CONFIG: reading report .*: not an imgsize analyze report/],
    [['TAR', 'TAR', '--format', 'html'], /--format html: html goes to a file/],
  ])('input errors exit 2: %j', (argv, msg) => {
    const map: Record<string, string> = {
      V3: file('v3.json', '{"schemaVersion": 3}'),
      NOTREPORT: file('package.json', '{"name": "x"}'),
      TAR: DIVE_TAR,
    };
    const r = run(['diff', ...argv.map((a) => map[a] ?? a)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(msg);
  });
});

it('the CLI tests above need the build (pnpm -r run build) and the dive image', () => {
  if (!ready) console.warn(`skipping CLI e2e: ${existsSync(CLI) ? DIVE_TAR : CLI} missing`);
  expect(readFileSync(join(ROOT, 'package.json'), 'utf8')).toContain('imgsize');
});

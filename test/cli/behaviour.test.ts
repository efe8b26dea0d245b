/**
 * CLI behaviour a new user and a CI job meet first (issue 11): a closed stdout, budget typos,
 * dive's own .dive-ci, --platform on archives, '-' on a terminal, several outputs in one run,
 * re-rendering a saved report, colour. Runs on dive's conformance image.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReportSchema, type Report } from '../../packages/core/src/report-schema.js';
import { DiffReportSchema } from '../../packages/core/src/diff/diff-schema.js';
import { runCliInProcess } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const DIVE_TAR = process.env.DIVE_TEST_IMAGE ?? fileURLToPath(new URL('../../../shared/conformance/dive/test-docker-image.tar', import.meta.url));
const ready = existsSync(CLI) && existsSync(DIVE_TAR);
if (!ready && process.env.CI === 'true') throw new Error(`CI=true but ${existsSync(CLI) ? DIVE_TAR : CLI} is missing`);
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'imgsize-cli-behaviour-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe.runIf(ready)('a closed stdout', () => {
  it('regression: `--json | true` (reader gone before the write) ends quietly with 0, not an EPIPE stack and 1', async () => {
    const child = spawn(process.execPath, [CLI, 'analyze', DIVE_TAR, '--json', '--include-files'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away at once
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('`--json | head -c 10` ends quietly with 0', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" analyze "${DIVE_TAR}" --json --include-files | head -c 10; echo " rc=\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^\{\n {2}"schem rc=0\n$/);
    expect(r.stderr).toBe('');
  });
});

describe.runIf(ready)('stdin of a real process (read from descriptor 0 into a reused buffer)', () => {
  const stripTime = (json: string): unknown => ({ ...(JSON.parse(json) as Report), generatedAt: '', image: { ...(JSON.parse(json) as Report).image, ref: '', source: undefined } });
  it('a shell pipe from a producer that stalls gives the report of the file, and reads a saved report too', () => {
    const fromFile = spawnSync(process.execPath, [CLI, 'analyze', DIVE_TAR, '--json', '--include-files'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(fromFile.status).toBe(0);
    // the archive in three parts with pauses: reads that wait, and reads that get a pipe's worth
    const producer = `head -c 1000 "${DIVE_TAR}"; sleep 0.2; tail -c +1001 "${DIVE_TAR}" | head -c 300000; sleep 0.2; tail -c +301001 "${DIVE_TAR}"`;
    const piped = spawnSync('bash', ['-c', `(${producer}) | "${process.execPath}" "${CLI}" analyze - --json --include-files`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(piped.stderr).toBe('');
    expect(piped.status).toBe(0);
    expect(stripTime(piped.stdout)).toEqual(stripTime(fromFile.stdout));
    const saved = join(tmp, 'saved-for-stdin.json');
    writeFileSync(saved, fromFile.stdout);
    const rerendered = spawnSync('bash', ['-c', `cat "${saved}" | "${process.execPath}" "${CLI}" analyze - --json --include-files`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(rerendered.status).toBe(0);
    expect(JSON.parse(rerendered.stdout)).toEqual(JSON.parse(fromFile.stdout));
  });

  it('a regular file on stdin is read positionally from its start (the fast path), else from where its offset stands', () => {
    const fromFile = spawnSync(process.execPath, [CLI, 'analyze', DIVE_TAR, '--json', '--include-files'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const redirected = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" analyze - --json --include-files < "${DIVE_TAR}"`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(redirected.stderr).toBe('');
    expect(stripTime(redirected.stdout)).toEqual(stripTime(fromFile.stdout));
    // the library's '-' takes the seekable path for such a stdin (what the CLI's report cannot show)
    const CORE = join(ROOT, 'packages/core/dist/index.js');
    const probe = `import { openDockerArchive } from ${JSON.stringify(CORE)}; const img = await openDockerArchive("-").load(); console.log(img.source.fastPath, img.layers.length)`;
    const lib = spawnSync('bash', ['-c', `"${process.execPath}" --input-type=module -e '${probe}' < "${DIVE_TAR}"`], { encoding: 'utf8' });
    expect(lib.stderr).toBe('');
    expect(lib.stdout.trim()).toMatch(/^true \d+$/);
    // a file whose offset is not 0 (7 bytes already read by someone else): the rest is the archive
    const prefixed = join(tmp, 'prefixed.tar');
    writeFileSync(prefixed, Buffer.concat([Buffer.from('junk!!\n'.slice(0, 7)), readFileSync(DIVE_TAR)]));
    const after = spawnSync('bash', ['-c', `(dd bs=7 count=1 of=/dev/null status=none; "${process.execPath}" "${CLI}" analyze - --json --include-files) < "${prefixed}"`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(after.stderr).toBe('');
    expect(stripTime(after.stdout)).toEqual(stripTime(fromFile.stdout));
    const libAfter = spawnSync('bash', ['-c', `(dd bs=7 count=1 of=/dev/null status=none; "${process.execPath}" --input-type=module -e '${probe}') < "${prefixed}"`], { encoding: 'utf8' });
    expect(libAfter.stdout.trim()).toMatch(/^false \d+$/);
    // a saved report on stdin, as a file
    const saved = join(tmp, 'saved-as-file.json');
    writeFileSync(saved, fromFile.stdout);
    const rerendered = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" analyze - --json --include-files < "${saved}"`], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(rerendered.status).toBe(0);
    expect(JSON.parse(rerendered.stdout)).toEqual(JSON.parse(fromFile.stdout));
  });

  it('a terminal on stdin is refused without reading it', () => {
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${CLI}" analyze -`, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    if (r.error) return; // no `script` (util-linux) here: the in-process test above covers the message
    expect(r.stdout).toMatch(/stdin is a terminal/);
    expect(r.status).toBe(2);
  });
});

describe.runIf(ready)('budgets', () => {
  it('a category id typo ("buildtools") is an error naming the valid ids, before any analysis', async () => {
    const r = await runCliInProcess(['analyze', DIVE_TAR, '--budget', file('typo.json', '{"categories": {"buildtools": 0}}')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error E_BAD_CONFIG: reading budgets .*typo\.json: unknown category id "buildtools" \(did you mean "build-tools"\?\)/);
    expect(r.stderr).toMatch(/hint: category ids are: .*build-tools/);
  });

  it('diff --budget checks the after image, with before as baseline; a typo is the same error', async () => {
    const typo = await runCliInProcess(['diff', DIVE_TAR, DIVE_TAR, '--budget', file('typo2.json', '{"categories": {"pipcache": "1MB"}}')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown category id "pipcache" \(did you mean "pip-cache"\?\)/);
    const ok = await runCliInProcess(['diff', DIVE_TAR, DIVE_TAR, '--json', '--budget', file('b.json', '{"maxRegression": {"bytes": 0}, "maxTotalBytes": "1KB"}')]);
    expect(ok.code).toBe(1); // maxTotalBytes fails
    const diff = DiffReportSchema.parse(JSON.parse(ok.stdout));
    expect(Object.fromEntries(diff.budgets!.rules.map((x) => [x.id, x.status]))).toEqual({ maxTotalBytes: 'fail', 'maxRegression.bytes': 'pass' });
  });

  it("reads dive's own .data/.dive-ci (YAML with a plugins list) and fails as dive does on its test image", async () => {
    // github.com/wagoodman/dive .data/.dive-ci
    const diveCi = file(
      '.dive-ci',
      '---\nplugins:\n  - plugin1\n\nrules:\n  # If the efficiency is measured below X%, mark as failed.\n  lowestEfficiency: 0.95\n\n  highestWastedBytes: 20Mb\n\n  highestUserWastedPercent: 0.10\n\n  plugin1/rule1: error\n',
    );
    const r = await runCliInProcess(['analyze', DIVE_TAR, '--budget', diveCi, '--json']);
    expect(r.code).toBe(1);
    const b = ReportSchema.parse(JSON.parse(r.stdout)).budgets!;
    // dive's numbers for this image: efficiency 0.984, wasted 32025 B, user wasted 0.483
    expect(Object.fromEntries(b.rules.map((x) => [x.id, x.status]))).toEqual({
      'dive.lowestEfficiency': 'pass',
      'dive.highestWastedBytes': 'pass',
      'dive.highestUserWastedPercent': 'fail',
    });
    expect(b.warnings.join('\n')).toMatch(/top-level key "plugins"[\s\S]*unknown rule "plugin1\/rule1"/);
  });

  it("an empty .dive-ci checks dive's defaults (efficiency 0.9, user wasted 0.1; wasted bytes disabled)", async () => {
    const named = await runCliInProcess(['analyze', DIVE_TAR, '--budget', file('.dive-ci', ''), '--json']);
    expect(named.code).toBe(1);
    const b = ReportSchema.parse(JSON.parse(named.stdout)).budgets!;
    expect(b.rules.map((x) => [x.id, x.status, x.threshold])).toEqual([
      ['dive.lowestEfficiency', 'pass', 0.9],
      ['dive.highestWastedBytes', 'skip', null],
      ['dive.highestUserWastedPercent', 'fail', 0.1],
    ]);
  });
});

describe.runIf(ready)('--platform and stdin', () => {
  it('--platform naming another platform than the archive holds is E_PLATFORM; the right one passes', async () => {
    const wrong = await runCliInProcess(['analyze', DIVE_TAR, '--platform', 'linux/arm64']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/error E_PLATFORM: docker archive .* holds a linux\/amd64 image, not linux\/arm64/);
    expect((await runCliInProcess(['analyze', DIVE_TAR, '--platform', 'linux/amd64', '--json'])).code).toBe(0);
  });

  it.each(['linux', 'linux/', 'linux/amd64/v8/extra', 'linux amd64'])('an invalid --platform %j is E_USAGE', async (p) => {
    const r = await runCliInProcess(['analyze', DIVE_TAR, '--platform', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error E_USAGE: --platform ".*" is not of the form os\/arch\[\/variant\]/);
  });

  it("analyze - with a terminal on stdin refuses with a hint instead of waiting", async () => {
    const r = await runCliInProcess(['analyze', '-'], { stdinIsTTY: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/stdin is a terminal\nhint: pipe one in, e\.g\. docker save app:1 \| imgsize analyze -/);
  });

  it('--platform applies to an archive on stdin too', async () => {
    const r = await runCliInProcess(['analyze', '-', '--platform', 'linux/arm64'], { stdin: readFileSync(DIVE_TAR) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_PLATFORM: docker archive stdin holds a linux\/amd64 image/);
  });
});

describe.runIf(ready)('outputs', () => {
  it('-o json=report.json -o markdown=pr.md writes both in one run, nothing else on stdout', async () => {
    const json = join(tmp, 'report.json');
    const md = join(tmp, 'pr.md');
    const r = await runCliInProcess(['analyze', DIVE_TAR, '-o', `json=${json}`, '-o', `markdown=${md}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/wrote .*report\.json[\s\S]*wrote .*pr\.md/);
    expect(ReportSchema.parse(JSON.parse(readFileSync(json, 'utf8'))).dive.wastedBytes).toBe(32025);
    expect(readFileSync(md, 'utf8')).toMatch(/^#+ /m);
  });

  it('-o markdown (no file) goes to stdout beside -o json=<file>', async () => {
    const r = await runCliInProcess(['analyze', DIVE_TAR, '-o', 'markdown', '-o', `json=${join(tmp, 'r2.json')}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#+ /m);
    expect(existsSync(join(tmp, 'r2.json'))).toBe(true);
  });

  it.each([
    [['--json', '--format', 'markdown'], /--json and --format markdown ask for two formats on stdout/],
    [['--format', 'markdown', '-o', 'json'], /markdown and json would all go to stdout/],
    [['-o', 'yaml=x'], /unknown -o format "yaml"/],
    [['-o', 'html'], /-o html needs a file/],
  ])('%j is a usage error', async (args, msg) => {
    const r = await runCliInProcess(['analyze', DIVE_TAR, ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(msg);
  });

  it('imgsize analyze report.json re-renders a saved report in any format, identical to the live run', async () => {
    const live = await runCliInProcess(['analyze', DIVE_TAR, '--json']);
    const saved = file('saved.json', live.stdout);
    const again = await runCliInProcess(['analyze', saved, '--json']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(live.stdout);
    for (const format of ['terminal', 'markdown']) {
      const direct = await runCliInProcess(['analyze', DIVE_TAR, '--format', format]);
      const rerendered = await runCliInProcess(['analyze', saved, '--format', format]);
      expect(rerendered.code).toBe(0);
      expect(rerendered.stdout).toBe(direct.stdout);
    }
    // and from stdin
    const piped = await runCliInProcess(['analyze', '-', '--format', 'markdown'], { stdin: live.stdout });
    expect(piped.stdout).toBe((await runCliInProcess(['analyze', DIVE_TAR, '--format', 'markdown'])).stdout);
    // budgets can gate a saved report too
    const gated = await runCliInProcess(['analyze', saved, '--budget', file('t.json', '{"maxTotalBytes": "1KB"}'), '--json']);
    expect(gated.code).toBe(1);
    expect((JSON.parse(gated.stdout) as Report).budgets!.pass).toBe(false);
  });
});

describe.runIf(ready)('colour', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv, stdoutIsTTY: boolean) => runCliInProcess(['analyze', DIVE_TAR, ...args], { env, stdoutIsTTY });
  it.each([
    ['a terminal', [], {}, true, true],
    ['a pipe', [], {}, false, false],
    ['NO_COLOR=1 on a terminal', [], { NO_COLOR: '1' }, true, false],
    ['NO_COLOR= (empty) on a terminal', [], { NO_COLOR: '' }, true, true],
    ['FORCE_COLOR=1 on a pipe', [], { FORCE_COLOR: '1' }, false, true],
    ['FORCE_COLOR=0 on a terminal', [], { FORCE_COLOR: '0' }, true, false],
    ['FORCE_COLOR=false on a terminal', [], { FORCE_COLOR: 'false' }, true, false],
    ['FORCE_COLOR=1 beats NO_COLOR=1', [], { FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
    ['TERM=dumb on a terminal', [], { TERM: 'dumb' }, true, false],
    ['--color=always on a pipe', ['--color=always'], { NO_COLOR: '1' }, false, true],
    ['--color never on a terminal', ['--color', 'never'], { FORCE_COLOR: '1' }, true, false],
  ] as const)('%s', async (_name, args, env, tty, coloured) => {
    const r = await run([...args], { ...env }, tty);
    expect(r.code).toBe(0);
    expect(ANSI.test(r.stdout)).toBe(coloured);
  });

  it('--color takes auto, always or never', async () => {
    const r = await run(['--color', 'sometimes'], {}, true);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--color takes auto, always or never, got "sometimes"/);
  });

  it('no \\r\\e[2K progress line under TERM=dumb; there is one on a capable terminal', async () => {
    const dumb = await runCliInProcess(['analyze', DIVE_TAR, '--json'], { stderrIsTTY: true, env: { TERM: 'dumb' } });
    expect(dumb.stderr).not.toContain('\u001b[2K');
    const xterm = await runCliInProcess(['analyze', DIVE_TAR, '--json'], { stderrIsTTY: true, env: { TERM: 'xterm-256color' } });
    expect(xterm.stderr).toContain('\r\u001b[2K');
  });
});

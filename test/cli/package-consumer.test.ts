/**
 * What a library consumer gets from the published tarballs (`pnpm pack`), checked the way a consumer
 * meets them: a strict TypeScript 5 project without skipLibCheck compiles against @imgsize/core
 * with neither dockerode nor @types/dockerode installed; `require()` says ESM-only; the JSON Schema
 * files are exported; an archive-only install pulls no engine client (grpc/ssh2/cpu-features);
 * each tarball carries README and LICENSE (MIT).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CORE = join(ROOT, 'packages/core');
const CLI_PKG = join(ROOT, 'packages/cli');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const DIVE_TAR = process.env.DIVE_TEST_IMAGE ?? fileURLToPath(new URL('../../../shared/conformance/dive/test-docker-image.tar', import.meta.url));
const ready = existsSync(join(CORE, 'dist/index.d.ts')) && existsSync(join(CLI_PKG, 'dist/main.js'));
if (!ready && process.env.CI === 'true') throw new Error('CI=true but packages are not built (tsc -b packages/core packages/cli)');

let tmp: string;
let consumer: string;
const packed: Record<string, { files: string[]; pkg: { dependencies?: Record<string, string>; peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; exports?: unknown; license?: string } }> = {};

function pack(dir: string, name: string): string {
  execFileSync('pnpm', ['pack', '--pack-destination', tmp], { cwd: dir, stdio: 'pipe' });
  const tgz = readdirSync(tmp).find((f) => f.startsWith(name) && f.endsWith('.tgz'))!;
  const files = execFileSync('tar', ['-tzf', join(tmp, tgz)], { encoding: 'utf8' }).trim().split('\n');
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', join(tmp, tgz), 'package/package.json'], { encoding: 'utf8' }));
  packed[name] = { files, pkg };
  return join(tmp, tgz);
}

beforeAll(() => {
  if (!ready) return;
  tmp = mkdtempSync(join(tmpdir(), 'imgsize-consumer-'));
  const coreTgz = pack(CORE, 'imgsize-core-');
  pack(CLI_PKG, 'imgsize-0');
  // A consumer with @imgsize/core unpacked from its tarball and only its declared dependencies
  // (linked from the workspace store): no dockerode, no @types/dockerode.
  consumer = join(tmp, 'consumer');
  const coreDir = join(consumer, 'node_modules/@imgsize/core');
  mkdirSync(coreDir, { recursive: true });
  execFileSync('tar', ['-xzf', coreTgz, '-C', coreDir, '--strip-components=1']);
  const fromCore = createRequire(join(CORE, 'package.json'));
  for (const dep of Object.keys(packed['imgsize-core-']!.pkg.dependencies ?? {})) {
    const target = join(consumer, 'node_modules', dep);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(packageRoot(fromCore, dep), target);
  }
  mkdirSync(join(consumer, 'node_modules/@types'), { recursive: true });
  symlinkSync(realpathSync(join(ROOT, 'node_modules/@types/node')), join(consumer, 'node_modules/@types/node'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', resolveJsonModule: true, noEmit: true, types: ['node'] }, files: ['index.ts'] }),
  );
  writeFileSync(
    join(consumer, 'index.ts'),
    `import { analyzeImage, diffReports, evaluateBudgets, openSource, openDaemon, ImgsizeError, ReportSchema, type Report, type OpenSourceOptions } from '@imgsize/core';
import reportSchema from '@imgsize/core/schema/report.schema.json' with { type: 'json' };
const opts: OpenSourceOptions = { platform: 'linux/amd64' };
const report: Report = await analyzeImage(openSource(process.argv[2]!, opts));
ReportSchema.parse(report);
const diff = diffReports(report, report);
const budgets = evaluateBudgets(report, { maxTotalBytes: 1 });
const daemon = openDaemon('x');
console.log(JSON.stringify({ files: report.summary.files, delta: diff.totals, pass: budgets.pass, kind: daemon.kind, schema: typeof reportSchema, err: ImgsizeError.name }));
`,
  );
}, 120_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The directory holding `name`'s package.json, resolved as `req` would. */
function packageRoot(req: NodeJS.Require, name: string): string {
  // Types-only packages (@types/*) have no entry point: find their package.json instead.
  try {
    return realpathSync(dirname(req.resolve(`${name}/package.json`)));
  } catch {
    // `exports` may hide package.json: walk up from the entry point
  }
  let dir = dirname(req.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) dir = dirname(dir);
  return realpathSync(dir);
}

describe.runIf(ready)('published packages', () => {
  it('regression: the types compile in a strict TS 5 consumer without skipLibCheck and without dockerode types', () => {
    const r = spawnSync(process.execPath, [TSC, '-p', consumer], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
    const dts = packed['imgsize-core-']!.files.filter((f) => f.endsWith('.d.ts'));
    expect(dts.length).toBeGreaterThan(10);
    for (const f of dts) {
      const text = readFileSync(join(consumer, 'node_modules/@imgsize/core', f.replace(/^package\//, '')), 'utf8');
      expect(text, f).not.toMatch(/from ['"]dockerode['"]/);
    }
  }, 180_000);

  it('runs as ESM without dockerode installed: archives work, the engine says how to add it', () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { analyzeImage, openSource, openDaemon } from '@imgsize/core';
      const r = await analyzeImage(openSource(${JSON.stringify(DIVE_TAR)}));
      let engine;
      try { await openDaemon('alpine').load(); } catch (e) { engine = [e.code, e.message, e.hint]; }
      console.log(JSON.stringify({ wasted: r.dive.wastedBytes, engine }));
    `], { cwd: consumer, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout) as { wasted: number; engine: string[] };
    expect(out.wasted).toBe(32025);
    expect(out.engine[0]).toBe('E_DAEMON');
    expect(out.engine[1]).toMatch(/needs the optional package dockerode, which is not installed/);
    expect(out.engine[2]).toMatch(/npm install dockerode/);
  });

  it("require('@imgsize/core') fails with a message that says ESM-only", () => {
    const r = spawnSync(process.execPath, ['-e', "require('@imgsize/core')"], { cwd: consumer, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/@imgsize\/core is ESM-only and cannot be loaded with require\(\)/);
    expect(r.stderr).toMatch(/await import\('@imgsize\/core'\)/);
  });

  it('exports the JSON Schema files', () => {
    const r = spawnSync(process.execPath, ['-e', "console.log(require.resolve('@imgsize/core/schema/report.schema.json'), require.resolve('@imgsize/core/schema/diff-report.schema.json'))"], { cwd: consumer, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/node_modules\/@imgsize\/core\/schema\/report\.schema\.json .*diff-report\.schema\.json/);
    const schema = JSON.parse(readFileSync(join(consumer, 'node_modules/@imgsize/core/schema/report.schema.json'), 'utf8')) as { $schema?: string };
    expect(schema.$schema).toMatch(/json-schema\.org/);
  });

  it('dockerode is an optional peer of @imgsize/core; the archive-only closure has no grpc/ssh2/cpu-features', () => {
    const { pkg } = packed['imgsize-core-']!;
    expect(pkg.dependencies).not.toHaveProperty('dockerode');
    expect(pkg.peerDependencies).toHaveProperty('dockerode');
    expect(pkg.peerDependenciesMeta?.dockerode?.optional).toBe(true);
    // walk the install closure of the declared dependencies
    const seen = new Set<string>();
    const walk = (name: string, from: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const root = packageRoot(createRequire(join(from, 'package.json')), name);
      const p = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
      for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) {
        try {
          walk(d, root);
        } catch {
          seen.add(d); // an optional dependency not installed here still counts as pulled in
        }
      }
    };
    for (const d of Object.keys(pkg.dependencies ?? {})) walk(d, CORE);
    expect([...seen].filter((n) => /^(ssh2|cpu-features|@grpc\/.*|dockerode|docker-modem)$/.test(n))).toEqual([]);
    // the CLI keeps engine support: it depends on dockerode itself
    expect(packed['imgsize-0']!.pkg.dependencies).toHaveProperty('dockerode');
  });

  it.each(['imgsize-core-', 'imgsize-0'])('the %s tarball carries README.md and an MIT LICENSE', (name) => {
    const { files, pkg } = packed[name]!;
    expect(files).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json']));
    expect(pkg.license).toBe('MIT');
    const tgz = join(tmp, readdirSync(tmp).find((x) => x.startsWith(name))!);
    expect(execFileSync('tar', ['-xzOf', tgz, 'package/LICENSE'], { encoding: 'utf8' })).toMatch(/^MIT License/);
    expect(files.some((f) => /\.test\.(js|ts)$/.test(f))).toBe(false);
  });
});

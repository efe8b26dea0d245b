/**
 * Real node_modules: packages from the project's own pnpm install (node_modules/.pnpm, real npm
 * tarball contents) are copied into an application tree (top-level, scoped, nested under another
 * package, and a global /usr/local/lib/node_modules one), built into an image by the real dockerd,
 * and each package's bytes and file count in the report must equal a du-style sum over its
 * directory computed here (regular files, nested node_modules excluded). The app's package.json
 * marks one package a devDependency: the report flags it and the finding names it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import { openDaemon } from '../../packages/core/src/sources/daemon.js';
import type { Report } from '../../packages/core/src/report-schema.js';
import { describeServices } from '../services/services.js';
import { dockerOf, followProgress, uniqueRepo } from '../sources/helpers.js';

const PNPM = new URL('../../node_modules/.pnpm/', import.meta.url).pathname;

/** [pnpm dir, package name, where it goes in the image root]. */
const PLACE: Array<[string, string, string]> = [
  ['zod@4.6.7', 'zod', 'app/node_modules/zod'],
  ['yaml@2.9.1', 'yaml', 'app/node_modules/yaml'],
  ['@colors+colors@1.5.0', '@colors/colors', 'app/node_modules/@colors/colors'],
  ['cli-table3@0.6.5', 'cli-table3', 'app/node_modules/cli-table3'],
  ['string-width@4.2.3', 'string-width', 'app/node_modules/cli-table3/node_modules/string-width'],
  ['ansi-regex@5.0.1', 'ansi-regex', 'app/node_modules/cli-table3/node_modules/string-width/node_modules/ansi-regex'],
  ['fzstd@0.1.1', 'fzstd', 'usr/local/lib/node_modules/fzstd'],
];

/** du-style: Σ sizes and count of regular files below `dir`, not entering `dir/node_modules`. */
function du(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  const walk = (d: string, top: boolean): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        if (!(top && name === 'node_modules')) walk(p, false);
      } else if (st.isFile()) {
        bytes += st.size;
        files++;
      }
    }
  };
  walk(dir, true);
  return { bytes, files };
}

describeServices('real node_modules in an image built by dockerd', (svc) => {
  let tmp: string;
  let root: string;
  let tag: string;
  let report: Report;

  beforeAll(async () => {
    for (const [dir] of PLACE) if (!existsSync(join(PNPM, dir))) throw new Error(`pnpm package ${dir} missing: run pnpm install`);
    tmp = mkdtempSync(join(tmpdir(), 'imgsize-npm-'));
    root = join(tmp, 'root');
    for (const [dir, name, to] of PLACE) {
      mkdirSync(join(root, to), { recursive: true });
      cpSync(join(PNPM, dir, 'node_modules', name), join(root, to), { recursive: true, dereference: true });
    }
    writeFileSync(
      join(root, 'app/package.json'),
      JSON.stringify({ name: 'demo-app', version: '1.0.0', dependencies: { zod: '^4', 'cli-table3': '^0.6', '@colors/colors': '^1.5' }, devDependencies: { yaml: '^2' } }, null, 2),
    );
    mkdirSync(join(root, 'root/.npm/_cacache/content-v2/sha512/ab'), { recursive: true });
    writeFileSync(join(root, 'root/.npm/_cacache/content-v2/sha512/ab/cd'), Buffer.alloc(300_000, 7));
    const ctx = join(tmp, 'ctx');
    mkdirSync(ctx);
    execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', join(ctx, 'root.tar'), '.']);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nADD root.tar /\nWORKDIR /app\n');
    tag = `${uniqueRepo('imgsize-test/npm')}:v1`;
    const docker = dockerOf(svc);
    const body = execFileSync('tar', ['-C', ctx, '-cf', '-', '.'], { maxBuffer: 1 << 28 });
    await followProgress(docker, await docker.buildImage(Readable.from([body]) as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true }));
    report = await analyzeImage(openDaemon(tag, { dockerHost: svc.dockerHost }));
  }, 300_000);

  afterAll(async () => {
    if (tag) await dockerOf(svc).getImage(tag).remove({ force: true }).catch(() => undefined);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('gives every package exactly the bytes and files of its directory (nested node_modules excluded)', () => {
    const npm = report.packages!.packages.filter((p) => p.manager === 'npm');
    expect(npm).toHaveLength(PLACE.length);
    for (const [dir, name, to] of PLACE) {
      const p = npm.find((x) => x.location === `/${to}`);
      expect(p, to).toBeDefined();
      const want = du(join(root, to));
      expect(want.bytes).toBeGreaterThan(0);
      expect({ to, name: p!.name, version: p!.version, bytes: p!.visibleBytes, files: p!.files }).toEqual({
        to,
        name,
        version: dir.slice(dir.lastIndexOf('@') + 1),
        bytes: want.bytes,
        files: want.files,
      });
    }
    const sum = PLACE.reduce((s, [, , to]) => s + du(join(root, to)).bytes, 0);
    expect(report.packages!.managers.npm).toEqual({ packages: PLACE.length, visibleBytes: sum });
  });

  it('flags the app\'s devDependency, and finds it and the npm cache', () => {
    const npm = report.packages!.packages.filter((p) => p.manager === 'npm');
    expect(npm.filter((p) => p.dev).map((p) => p.name)).toEqual(['yaml']);
    const dev = report.findings!.find((f) => f.id === 'npm-dev-dependencies');
    expect(dev?.bytes).toBe(du(join(root, 'app/node_modules/yaml')).bytes);
    expect(dev?.fix).toContain('npm ci --omit=dev');
    const cache = report.findings!.find((f) => f.id === 'npm-cache');
    expect(cache?.bytes).toBe(300_000);
    expect(cache?.fix).toContain('npm cache clean --force');
  });
});

/**
 * Hostile entry names: `..`, absolute paths, NUL, invalid UTF-8, very long components, deep
 * paths, symlink chains and loops. They are reported faithfully (the clean path is what the
 * overlay uses, and a warning per layer quotes the raw name when cleaning changed it in a way
 * that matters: docs/RELIABILITY.md, "Paths"), never used to touch the local filesystem, and
 * escaped by the terminal renderer so they cannot drive the terminal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../../packages/core/src/analyze.js';
import type { LoadedImage } from '../../packages/core/src/model.js';
import { openDockerArchive } from '../../packages/core/src/sources/docker-archive.js';
import { openOciLayout } from '../../packages/core/src/sources/oci-layout.js';
import { pairProblems, runBoth } from '../fuzz/harness.js';
import { endMarker, entry, paxEntry, paxRecord, simpleTar, type SimpleEntry } from '../fuzz/raw-tar.js';
import { archiveEntries, archiveOf, sha256 } from './helpers.js';

const CLI = join(__dirname, '../../packages/cli/dist/main.js');
const TAG = `imgsize-pwned-${process.pid}`;
let dir: string;
let cwd: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-paths-'));
  cwd = mkdtempSync(join(tmpdir(), 'imgsize-paths-cwd-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

/** Everything a careless extractor would have created from the hostile archives below. */
function pwned(): string[] {
  const hits = readdirSync(tmpdir()).filter((n) => n.includes(TAG));
  for (const p of ['/etc/imgsize-pwned-abs', join(cwd, 'tmp'), join(cwd, 'l0'), join(cwd, 'manifest.json'), join(dir, '..', TAG)]) if (existsSync(p)) hits.push(p);
  return hits;
}

/** A layer that tries every way out of the image root. */
function escapingLayer(): Buffer {
  return simpleTar([
    { name: `../../../../../../../tmp/${TAG}-dotdot`, content: 'pwned' },
    { name: `/tmp/${TAG}-absolute`, content: 'pwned' },
    { name: 'etc/imgsize-pwned-abs', content: 'fine: inside the image' },
    { name: 'evil', type: 'symlink', linkname: '/tmp' },
    { name: `evil/${TAG}-via-symlink`, content: 'pwned' },
    { name: 'up', type: 'symlink', linkname: '../../../../../../tmp' },
    { name: `up/${TAG}-via-relative-symlink`, content: 'pwned' },
    { name: 'passwd-link', type: 'hardlink', linkname: '/etc/passwd' },
    { name: `a/b/../../../../tmp/${TAG}-mixed`, content: 'pwned' },
  ]);
}

describe('hostile paths are never used on the local filesystem', () => {
  it('an archive whose entries climb out of the root creates nothing, on either reader, and reports the entries where an extractor confined to the root would put them', async () => {
    expect(pwned()).toEqual([]);
    const outer: SimpleEntry[] = [
      ...archiveEntries([escapingLayer()]),
      // outer archive entries that try the same
      { name: `../../../../tmp/${TAG}-outer`, content: 'pwned' },
      { name: `/tmp/${TAG}-outer-abs`, content: 'pwned' },
    ];
    const bytes = simpleTar(outer);
    const prev = process.cwd();
    process.chdir(cwd);
    try {
      const { file, stream } = await runBoth(bytes, { dir, timeoutMs: 10_000, chunks: [333] });
      expect(pairProblems(file, stream)).toEqual([]);
      expect(file.kind).toBe('report');
      const img: LoadedImage = await openDockerArchive(writeTo('hostile.tar', bytes)).load();
      const paths = img.layers[0]!.scan.entries.map((e) => e.path);
      expect(paths).toEqual([
        `tmp/${TAG}-dotdot`,
        `tmp/${TAG}-absolute`,
        'etc/imgsize-pwned-abs',
        'evil',
        `evil/${TAG}-via-symlink`,
        'up',
        `up/${TAG}-via-relative-symlink`,
        'passwd-link',
        `tmp/${TAG}-mixed`,
      ]);
      const warnings = (file as { report: { warnings: unknown[] } }).report.warnings;
      expect(warnings).toContainEqual({
        code: 'W_PATH_HAZARD',
        layer: 0,
        message: `entry name "../../../../../../../tmp/${TAG}-dotdot" has ".." segments (resolved inside the image root, as containerd would; Docker refuses such layers) (and 1 more)`,
      });
      expect(warnings).toContainEqual({ code: 'W_PATH_HAZARD', layer: 0, message: `entry name "/tmp/${TAG}-absolute" is absolute (read relative to the image root)` });
    } finally {
      process.chdir(prev);
    }
    expect(pwned()).toEqual([]);
  });

  it('the same through an OCI layout directory, and through the CLI', async () => {
    const layer = escapingLayer();
    const layout = join(dir, 'layout');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] } });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha256(cfg)}`, size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${sha256(layer)}`, size: layer.length }],
    });
    for (const b of [layer, Buffer.from(cfg), Buffer.from(manifest)]) writeFileSync(join(layout, 'blobs', 'sha256', sha256(b)), b);
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha256(manifest)}`, size: manifest.length }] }));
    const r = await analyzeImage(openOciLayout(layout));
    expect(r.summary.files).toBeGreaterThan(0);
    if (existsSync(CLI)) {
      const res = spawnSync('node', [CLI, 'analyze', writeTo('cli.tar', archiveOf([layer])), '--json'], { cwd, encoding: 'utf8', timeout: 60_000 });
      expect(res.status, res.stderr).toBe(0);
    }
    expect(pwned()).toEqual([]);
  });
});

describe('hostile names are reported faithfully', () => {
  it('invalid UTF-8, control characters and very long components keep their bytes; cleaning that matters is a warning', async () => {
    const layer = Buffer.concat([
      entry({ name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]) }, 'b'), // "bad\xff\xfe.txt"
      entry({ name: 'esc\u001b[31mred\rcr' }, 'c'),
      paxEntry(paxRecord('path', `long/${'c'.repeat(300)}`)),
      entry({ name: 'long-ustar' }, 'd'),
      entry({ name: './dot/./slash//x' }, 'e'),
      endMarker(),
    ]);
    const bytes = archiveOf([layer]);
    const { file, stream } = await runBoth(bytes, { dir, timeoutMs: 10_000 });
    expect(pairProblems(file, stream)).toEqual([]);
    const img = await openDockerArchive(writeTo('names.tar', bytes)).load();
    expect(img.layers[0]!.scan.entries.map((e) => e.path)).toEqual([
      'bad\ufffd\ufffd.txt',
      'esc\u001b[31mred\rcr',
      `long/${'c'.repeat(300)}`,
      'dot/slash/x',
    ]);
    const warnings = img.layers[0]!.scan!.warnings.map((w) => w.message);
    expect(warnings).toContain('entry name "bad\ufffd\ufffd.txt" contains U+FFFD, which bytes that are not valid UTF-8 decode to (different raw names may look the same)');
    // ./ prefixes and doubled slashes are everyday tar output: no warning.
    expect(warnings.some((w) => w.includes('dot/'))).toBe(false);
  });

  it('a NUL in a pax name is E_BAD_TAR (Go refuses it too), never a silently shortened name', async () => {
    const layer = Buffer.concat([paxEntry(paxRecord('path', 'nul\u0000inside')), entry({ name: 'nul' }, 'a'), endMarker()]);
    const { file, stream } = await runBoth(archiveOf([layer]), { dir, timeoutMs: 10_000 });
    expect(pairProblems(file, stream)).toEqual([]);
    expect(file.kind === 'error' && file.message).toMatch(/pax header at offset 0: path contains a NUL byte/);
  });

  it('symlink chains and loops inside a layer are resolved with a hop limit, never followed forever', async () => {
    const chain: SimpleEntry[] = [{ name: 'target/', type: 'dir' }, { name: 'target/file', content: 'x'.repeat(1000) }];
    for (let i = 0; i < 200; i++) chain.push({ name: `c${i}`, type: 'symlink', linkname: i === 199 ? 'target' : `c${i + 1}` });
    chain.push({ name: 'loop-a', type: 'symlink', linkname: 'loop-b' }, { name: 'loop-b', type: 'symlink', linkname: 'loop-a/x' });
    chain.push({ name: 'self', type: 'symlink', linkname: 'self/self/self' });
    // package metadata whose files are reached only through the chain and the loops
    chain.push({ name: 'var/lib/dpkg/status', content: 'Package: p\nStatus: install ok installed\nVersion: 1\n\n' });
    chain.push({ name: 'var/lib/dpkg/info/p.list', content: '/c0/file\n/loop-a/x\n/self/y\n/c150/file\n' });
    const t0 = Date.now();
    const { file, stream } = await runBoth(archiveOf([simpleTar(chain)]), { dir, timeoutMs: 10_000 });
    expect(pairProblems(file, stream)).toEqual([]);
    expect(file.kind).toBe('report');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('symlink chains and loops in the archive itself end with a clean error', async () => {
    const base = archiveEntries([simpleTar([{ name: 'a', content: 'a' }])]);
    const loop = simpleTar([...base.filter((e) => e.name !== 'manifest.json'), { name: 'manifest.json', type: 'symlink', linkname: 'm2' }, { name: 'm2', type: 'symlink', linkname: 'manifest.json' }]);
    // manifest.json -> m/hop1 -> m/hop2 -> ... -> m/hop29 -> m/real.json: more hops than followed
    const deep: SimpleEntry[] = base.map((e) => (e.name === 'manifest.json' ? { ...e, name: 'm/real.json' } : e));
    deep.push({ name: 'manifest.json', type: 'symlink', linkname: 'm/hop1' });
    for (let i = 1; i < 30; i++) deep.push({ name: `m/hop${i}`, type: 'symlink', linkname: i === 29 ? 'real.json' : `hop${i + 1}` });
    for (const [what, bytes] of [['loop', loop], ['30 hops', simpleTar(deep)]] as const) {
      const { file, stream } = await runBoth(bytes, { dir, timeoutMs: 10_000 });
      expect(pairProblems(file, stream), what).toEqual([]);
      expect(file.kind === 'error' && file.code, what).toBe('E_NO_MANIFEST');
    }
  });
});

describe('terminal output cannot be driven by names and instructions', () => {
  const payloads = ['\u001b[31mRED', '\u001b]0;pwned-title\u0007', 'cr\rover', 'bell\u0007', 'csi\u009b2J'];
  const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

  /** An image whose file names, whiteouts, package metadata and instructions carry the payloads. */
  function escapesArchive(config?: Record<string, unknown>): Buffer {
    const l1 = simpleTar([
      ...payloads.map((p, i) => ({ name: `dir/${p}-${i}`, content: 'x'.repeat(1000 * (i + 1)) })),
      { name: 'var/lib/dpkg/status', content: `Package: evil\u001b[31m\nStatus: install ok installed\nVersion: 1\u001b[2J\n\n` },
    ]);
    // the second layer deletes and overwrites them, so they show in the wasted-paths table too
    const l2 = simpleTar([...payloads.map((p, i) => ({ name: `dir/.wh.${p}-${i}`, content: '' })), { name: `dir/${payloads[0]}-0`, content: 'y' }]);
    return archiveOf([l1, l2], { history: payloads.map((p) => `RUN echo ${p}`).slice(0, 2), ...(config && { config }) });
  }

  function cli(args: string[], input?: Buffer): { stdout: string; stderr: string } {
    const r = spawnSync('node', [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(100);
    return { stdout: r.stdout, stderr: r.stderr };
  }

  /** Output lines holding a raw control byte (tab and newline aside). */
  const dirty = (text: string): string[] => text.split('\n').filter((l) => CONTROL.test(l));

  it.skipIf(!existsSync(CLI))('the raw ESC byte never reaches stdout or stderr: file names, whiteouts, package names, instructions (terminal, markdown, stdin)', () => {
    const bytes = escapesArchive();
    const path = writeTo('escapes.tar', bytes);
    for (const [args, input] of [[['analyze', path]], [['analyze', path, '--format', 'markdown']], [['analyze', '-'], bytes]] as [string[], Buffer?][]) {
      const { stdout, stderr } = cli(args, input);
      expect(dirty(stdout), args.join(' ')).toEqual([]);
      expect(dirty(stderr), args.join(' ')).toEqual([]);
      expect(stdout).toContain('\\x1b[31mRED');
    }
  });

  // terminal-findings-fix-and-note-unescaped: render/terminal.ts printed a finding's `fix` and
  // `note` (which quote Dockerfile instructions and package names) and the config's os and
  // architecture without safeText; found by this suite, fixed in the renderer.
  it.skipIf(!existsSync(CLI))('terminal-findings-fix-and-note-unescaped: nor through findings and the config (os, architecture)', () => {
    const path = writeTo('escapes-all.tar', escapesArchive({ os: 'linux\u001b[2J', architecture: 'amd64\r' }));
    for (const args of [['analyze', path], ['analyze', path, '--format', 'markdown']]) {
      const { stdout, stderr } = cli(args);
      expect(dirty(stdout), args.join(' ')).toEqual([]);
      expect(dirty(stderr), args.join(' ')).toEqual([]);
    }
  });
});

// progress-line-unescaped: on a terminal the CLI's progress line (packages/cli/src/progress.ts)
// prints the layer being read, which for an archive is its path in the archive, without
// safeText: `script` gives the CLI a pty, and a layer named `evil\x1b[31mRED/layer.tar` reaches
// stderr raw. progress.ts is outside this suite's files: reported to the CLI's owner. This test
// fails while the gap is open (`it.fails`): drop `.fails` when progress.ts escapes the label.
describe.skipIf(!existsSync(CLI) || !existsSync('/usr/bin/script'))('the progress line on a terminal', () => {
  it('progress-line-unescaped: a layer path with ESC does not reach the terminal raw', () => {
    const layer = simpleTar([{ name: 'a', content: 'x' }]);
    const bad = 'evil\u001b[31mRED/layer.tar';
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] } });
    const path = writeTo('tty.tar', simpleTar([{ name: bad, content: layer }, { name: 'c.json', content: cfg }, { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: [bad] }]) }]));
    const r = spawnSync('script', ['-qec', `node ${CLI} analyze ${path} > /dev/null`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('RED/layer.tar'); // the progress line was shown
    expect(r.stdout).not.toContain('\u001b[31mRED');
  });
});

function writeTo(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * Issue 14's oracle test: imgsize's fatbin inventory of REAL CUDA libraries (Debian bookworm
 * non-free: libcurand10, libcufft10, libcublas11, libcusparse11, libnvrtc11.2) against NVIDIA's own
 * `cuobjdump` (from Debian's nvidia-cuda-toolkit, extracted with dpkg -x, not installed) and
 * binutils' `readelf`:
 *  - per library, the set and count of ELF (SASS) and PTX entries per architecture equal
 *    `cuobjdump --list-elf` / `--list-ptx`;
 *  - the cubins `cuobjdump -xelf all` extracts have our per-entry sizes (the stored size when the
 *    payload is stored uncompressed, the recorded uncompressed size when it is compressed);
 *  - the fatbin section offsets and sizes equal `readelf -S`;
 *  - the stream path (bytes in order, bounded memory) gives the same inventory as positional reads.
 * The packages are fetched once into $IMGSIZE_REAL_IMAGE_CACHE (default /var/tmp/imgsize-test) by
 * fetch-cuda-debs.sh; without a mirror the suite skips with one line, except under CI=true.
 */
import { execFile } from 'node:child_process';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfStreamInspector, inspectElfAt, type ElfGpuInventory } from '../../packages/core/src/gpu/inventory.js';

const pexec = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const IN_CI = process.env.CI === 'true';

/** Runs fetch-cuda-debs.sh: the cache directory, or why it is unavailable. */
export async function fetchCudaDebs(): Promise<{ dir: string } | { reason: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(HERE, 'fetch-cuda-debs.sh')], { timeout: 1_800_000, env: process.env }, (err, stdout, stderr) => {
      if (!err) return resolve({ dir: stdout.trim().split('\n').pop()! });
      const code = (err as { code?: number }).code;
      resolve({ reason: `fetch-cuda-debs.sh exit ${code}: ${stderr.trim().split('\n').pop() ?? err.message}` });
    });
  });
}

/** The real libraries the tests read, relative to the extracted root. */
export const CUDA_LIBS = [
  'usr/lib/x86_64-linux-gnu/libcurand.so.10.3.0.86',
  'usr/lib/x86_64-linux-gnu/libcufft.so.10.9.0.58',
  'usr/lib/x86_64-linux-gnu/libcublas.so.11.11.3.6',
  'usr/lib/x86_64-linux-gnu/libcusparse.so.11.7.5.86',
];
/** A real ELF library without device code. */
const NO_DEVICE_CODE = 'usr/lib/x86_64-linux-gnu/libnvrtc.so.11.8.89';

/** Positional inventory of a file on disk. */
export function inspectFile(path: string): ElfGpuInventory | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    return inspectElfAt((o, n) => {
      const b = Buffer.alloc(Math.max(0, Math.min(n, size - o)));
      const got = readSync(fd, b, 0, b.length, o);
      return b.subarray(0, got);
    }, size);
  } finally {
    closeSync(fd);
  }
}

async function inspectStream(path: string): Promise<ElfGpuInventory | null> {
  const size = (await stat(path)).size;
  const s = new ElfStreamInspector(size);
  let at = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    s.data(at, chunk);
    at += chunk.length;
  }
  return s.end();
}

/** "ELF file    3: libx.so.3.sm_60.cubin" lines → count per architecture. */
function countListed(out: string, kind: 'ELF' | 'PTX'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of out.matchAll(new RegExp(`^${kind} file\\s+\\d+: .*\\.sm_(\\d+[a-z]?)\\.(?:cubin|ptx)$`, 'gm'))) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  return counts;
}

function countOurs(inv: ElfGpuInventory | null, kind: 'sass' | 'ptx'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of inv?.entries ?? []) if (e.kind === kind) counts[String(e.sm)] = (counts[String(e.sm)] ?? 0) + 1;
  return counts;
}

let root = '';
let cuobjdump = '';
let scratch = '';
let skip: string | undefined;

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

beforeAll(async () => {
  const r = await fetchCudaDebs();
  if ('reason' in r) {
    if (IN_CI) throw new Error(`CUDA packages for the cuobjdump oracle are missing under CI: ${r.reason}`);
    skip = r.reason;
    process.stderr.write(`[gpu-oracle] SKIPPED: ${r.reason}\n`);
    return;
  }
  root = join(r.dir, 'root');
  cuobjdump = join(root, 'usr/bin/cuobjdump');
  scratch = await mkdtemp(join(tmpdir(), 'imgsize-gpu-oracle-'));
}, 1_900_000);

it('a library without device code has no inventory, as cuobjdump says', async ({ skip: skipTest }) => {
  if (skip) return skipTest(skip);
  const path = join(root, NO_DEVICE_CODE);
  const r = await pexec(cuobjdump, ['--list-elf', path]).then(
    (x) => x.stdout,
    (e: { stderr?: string }) => e.stderr ?? '',
  );
  expect(r).toMatch(/does not contain device code/);
  expect(inspectFile(path)).toBeNull();
});

describe.each(CUDA_LIBS)('fatbin inventory of %s against cuobjdump and readelf', (lib) => {
  let inv: ElfGpuInventory | null = null;
  const path = (): string => join(root, lib);
  beforeAll(() => {
    if (!skip) inv = inspectFile(path());
  });

  it('has the ELF and PTX entries per architecture that cuobjdump lists, per fatbin section', async ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    expect(inv!.problems).toEqual([]);
    expect(inv!.sections.length).toBeGreaterThan(0);
    for (const sec of inv!.sections) {
      // cuobjdump lists a library's .nv_fatbin; other sections are dumped (objcopy) and listed as raw fatbins.
      let target = path();
      if (sec.name !== '.nv_fatbin') {
        target = join(scratch, `${sec.name}.fatbin`);
        await pexec('objcopy', [`--dump-section=${sec.name}=${target}`, path(), join(scratch, 'discard.o')]);
      }
      const elf = (await pexec(cuobjdump, ['--list-elf', target], { maxBuffer: 64 << 20 })).stdout;
      const ptx = (await pexec(cuobjdump, ['--list-ptx', target], { maxBuffer: 64 << 20 })).stdout;
      const inSection = { ...inv!, entries: inv!.entries.filter((e) => e.offset >= sec.offset && e.offset < sec.offset + sec.size) };
      expect(countOurs(inSection, 'sass'), sec.name).toEqual(countListed(elf, 'ELF'));
      expect(countOurs(inSection, 'ptx'), sec.name).toEqual(countListed(ptx, 'PTX'));
    }
  });

  it('has the fatbin sections readelf -S shows', async ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    const out = (await pexec('readelf', ['-S', '-W', path()], { maxBuffer: 16 << 20 })).stdout;
    const sections = [...out.matchAll(/^\s*\[\s*\d+\]\s+(\.nv_fatbin|__nv_relfatbin)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/gm)].map((m) => ({
      name: m[1]!,
      offset: parseInt(m[2]!, 16),
      size: parseInt(m[3]!, 16),
    }));
    expect(sections.length).toBeGreaterThan(0);
    expect(inv!.sections).toEqual(sections);
  });

  it('gives the same inventory on the stream path', async ({ skip: skipTest }) => {
    if (skip) return skipTest(skip);
    expect(await inspectStream(path())).toEqual(inv);
  });
});

describe('extracted cubins have the per-entry sizes', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  // libcurand stores its cubins uncompressed, libcublas LZ4-compressed.
  it.for([CUDA_LIBS[0]!, CUDA_LIBS[2]!])('%s', async (lib, { skip: skipTest }) => {
    if (skip) return skipTest(skip);
    const path = join(root, lib);
    const inv = inspectFile(path)!;
    const dir = await mkdtemp(join(tmpdir(), 'imgsize-cubins-'));
    dirs.push(dir);
    await pexec(cuobjdump, ['-xelf', 'all', path], { cwd: dir, maxBuffer: 64 << 20 });
    const files = await readdir(dir);
    // Extracted files are numbered in fatbin order: <lib>.<n>.sm_<arch>.cubin.
    const sizes = new Map<number, { sm: string; size: number }>();
    for (const f of files) {
      const m = /\.(\d+)\.sm_(\d+)\.cubin$/.exec(f);
      if (m) sizes.set(Number(m[1]), { sm: m[2]!, size: (await stat(join(dir, f))).size });
    }
    const sass = inv.entries.filter((e) => e.kind === 'sass');
    expect(sizes.size).toBe(sass.length);
    let uncompressed = 0;
    sass.forEach((e, i) => {
      const x = sizes.get(i + 1)!;
      expect(x.sm).toBe(String(e.sm));
      if (e.compression === 'none') {
        uncompressed++;
        expect(x.size).toBe(e.payloadBytes);
      } else {
        expect(x.size).toBe(e.uncompressedBytes);
      }
    });
    if (lib === CUDA_LIBS[0]) expect(uncompressed).toBe(sass.length);
    else expect(uncompressed).toBe(0);
  }, 600_000);
});

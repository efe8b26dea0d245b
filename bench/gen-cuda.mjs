// Generates a CUDA-shaped docker-save archive (not committed): 8 layers, ~13 GB, ~165k entries —
// a few 0.3–1.1 GB shared libraries and static archives (CUDA, cuDNN, torch), a pip cache of
// wheels, and many small .py/.pyc/.h/.so files — plus the layer tars extracted beside it for the
// GNU tar floor. Deterministic (fixed seeds) and fast (file bodies are copies from calibrated
// 1 MiB "textures", so generation is bound by disk writes and sha256).
//
// Content compresses like real binaries: a texture is an LZ77-like byte process (literals drawn
// from a binary- or text-like alphabet, copies of recent bytes) whose copy probability is tuned
// until zlib -6 gives a target ratio; a large library is a sequence of 1 MiB segments whose
// ratios follow what /usr/local/cuda/lib64/libnvvm.so shows per MiB (mostly 0.45–0.52, some code
// and string tables at 0.2–0.35, a compressed fatbin tail near 0.8).
//
// Usage: node bench/gen-cuda.mjs [outDir]   (default /var/tmp/imgsize-bench/cuda)
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';

const out = process.argv[2] ?? '/var/tmp/imgsize-bench/cuda';
const archive = join(out, 'cuda.tar');
const MiB = 1 << 20;
const TEX = MiB;

/** mulberry32: a small deterministic PRNG. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Literal alphabets: machine code / data (many zeros and a few hot opcodes) and source text.
const BIN_ALPHA = (() => {
  const r = prng(7);
  const a = [];
  for (let i = 0; i < 40; i++) a.push(0);
  for (let i = 0; i < 30; i++) a.push([0x48, 0x89, 0x8b, 0xe8, 0xff, 0x0f, 0x85, 0x24, 0x44, 0xc3][i % 10]);
  for (let i = 0; i < 186; i++) a.push(Math.floor(r() * 256));
  return Uint8Array.from(a);
})();
const TEXT_ALPHA = Uint8Array.from(Buffer.from('eeeeeeettttaaaoooiiinnnsssrrhhlldcumfpgwybvkxjqz      ____....,,(())::==\n\n\n\t""\'\'0123456789EAST'));

/** A 1 MiB texture: literals from `alpha` with probability 1 − pCopy, else copies of 4–36 bytes from up to 8 KiB back. */
function texture(alpha, pCopy, seed) {
  const r = prng(seed);
  const b = Buffer.allocUnsafe(TEX);
  let i = 0;
  while (i < 64) b[i++] = alpha[Math.floor(r() * alpha.length)];
  while (i < TEX) {
    if (r() < pCopy) {
      const len = 4 + Math.floor(r() * r() * 32);
      const dist = 1 + Math.floor(r() * r() * Math.min(i - 1, 8192));
      for (let k = 0; k < len && i < TEX; k++, i++) b[i] = b[i - dist];
    } else {
      b[i++] = alpha[Math.floor(r() * alpha.length)];
    }
  }
  return b;
}

const ratioOf = (b) => deflateRawSync(b, { level: 6 }).length / b.length;

/** A texture whose zlib -6 ratio is `target` (±0.01), found by bisection on the copy probability. */
function calibrated(alpha, target, seed) {
  if (target >= 0.99) {
    const r = prng(seed);
    const b = Buffer.allocUnsafe(TEX);
    for (let i = 0; i < TEX; i += 4) b.writeUInt32LE(Math.floor(r() * 4294967296), i);
    return b;
  }
  let lo = 0;
  let hi = 0.995;
  let best = texture(alpha, 0.5, seed);
  for (let it = 0; it < 14; it++) {
    const mid = (lo + hi) / 2;
    best = texture(alpha, mid, seed);
    const r = ratioOf(best);
    if (Math.abs(r - target) < 0.01) break;
    if (r > target) lo = mid;
    else hi = mid;
  }
  return best;
}

const t0 = Date.now();
const BIN_LEVELS = [0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0];
const TEXT_LEVELS = [0.2, 0.25, 0.3, 0.35, 0.45];
const BIN = new Map(BIN_LEVELS.map((l, i) => [l, calibrated(BIN_ALPHA, l, 100 + i)]));
const TXT = new Map(TEXT_LEVELS.map((l, i) => [l, calibrated(TEXT_ALPHA, l, 200 + i)]));
const nearest = (m, l) => {
  let best;
  for (const k of m.keys()) if (best === undefined || Math.abs(k - l) < Math.abs(best - l)) best = k;
  return m.get(best);
};

// Per-kind profiles: [weight, binary-or-text ratio] segments are drawn from.
const PROFILES = {
  so: { tex: BIN, mix: [[70, 0.48], [8, 0.45], [7, 0.3], [6, 0.2], [5, 0.8], [4, 0.55]] },
  fatbin: { tex: BIN, mix: [[45, 0.5], [40, 0.8], [15, 0.3]] },
  static: { tex: BIN, mix: [[60, 0.35], [25, 0.25], [15, 0.45]] },
  pyc: { tex: BIN, mix: [[60, 0.45], [40, 0.4]] },
  exe: { tex: BIN, mix: [[70, 0.45], [30, 0.35]] },
  text: { tex: TXT, mix: [[50, 0.25], [30, 0.3], [15, 0.2], [5, 0.35]] },
  data: { tex: BIN, mix: [[50, 0.6], [50, 0.15]] },
  whl: { tex: BIN, mix: [[100, 1.0]] },
};
function pick(profile, r) {
  const total = profile.mix.reduce((s, [w]) => s + w, 0);
  let x = r() * total;
  for (const [w, l] of profile.mix) if ((x -= w) < 0) return nearest(profile.tex, l);
  return nearest(profile.tex, profile.mix[0][1]);
}

// ---- ustar writer ----
class TarWriter {
  constructor(file) {
    this.fd = openSync(file, 'w');
    this.buf = Buffer.allocUnsafe(8 * MiB);
    this.len = 0;
    this.hash = createHash('sha256');
    this.bytes = 0;
    this.entries = 0;
  }
  #flush() {
    if (this.len === 0) return;
    const b = this.buf.subarray(0, this.len);
    this.hash.update(b);
    let o = 0;
    while (o < b.length) o += writeSync(this.fd, b, o, b.length - o);
    this.bytes += b.length;
    this.len = 0;
  }
  put(src, start = 0, end = src.length) {
    while (start < end) {
      const n = Math.min(end - start, this.buf.length - this.len);
      src.copy(this.buf, this.len, start, start + n);
      this.len += n;
      start += n;
      if (this.len === this.buf.length) this.#flush();
    }
  }
  zeros(n) {
    while (n > 0) {
      const k = Math.min(n, this.buf.length - this.len);
      this.buf.fill(0, this.len, this.len + k);
      this.len += k;
      n -= k;
      if (this.len === this.buf.length) this.#flush();
    }
  }
  header(name, { type = '0', size = 0, mode = 0o644, link = '' } = {}) {
    const h = Buffer.alloc(512);
    let prefix = '';
    let base = name;
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', name.length - 2 >= 155 ? 155 : name.length - 2);
      prefix = name.slice(0, cut);
      base = name.slice(cut + 1);
      if (Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`name too long: ${name}`);
    }
    h.write(base, 0, 100);
    h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(type, 156);
    h.write(link, 157, 100);
    h.write('ustar\0' + '00', 257);
    h.write(prefix, 345, 155);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += h[i];
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    this.put(h);
    this.entries++;
  }
  dir(name) {
    this.header(name.endsWith('/') ? name : `${name}/`, { type: '5', mode: 0o755 });
  }
  symlink(name, target) {
    this.header(name, { type: '2', link: target, mode: 0o777 });
  }
  /** A regular file of `size` bytes whose body follows `kind`'s profile, seeded by `seed`. */
  file(name, size, kind, seed, mode = 0o644) {
    this.header(name, { size, mode });
    const r = prng(seed);
    const prof = PROFILES[kind];
    const SEG = size > 8 * MiB ? MiB : 256 * 1024;
    let left = size;
    while (left > 0) {
      const tex = pick(prof, r);
      let segLeft = Math.min(left, SEG);
      left -= segLeft;
      while (segLeft > 0) {
        const n = Math.min(segLeft, 64 * 1024);
        const at = Math.floor(r() * (TEX - n));
        this.put(tex, at, at + n);
        segLeft -= n;
      }
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad) this.zeros(pad);
  }
  finish() {
    this.zeros(1024);
    this.#flush();
    closeSync(this.fd);
    return `sha256:${this.hash.digest('hex')}`;
  }
}

// ---- layer contents ----
const R = prng(12345);
const rint = (a, b) => a + Math.floor(R() * (b - a + 1));
/** Log-uniform size between a and b. */
const rsize = (a, b) => Math.round(Math.exp(Math.log(a) + R() * (Math.log(b) - Math.log(a))));
let seedN = 1;

/** Many small files spread over `ndirs` directories under `root`. */
function smallTree(w, root, count, ndirs, kinds) {
  const dirs = [];
  const pycache = new Set();
  for (let d = 0; d < ndirs; d++) {
    const dir = `${root}/m${d % 37}/sub${d}`;
    if (d % 37 === d) w.dir(`${root}/m${d}`);
    w.dir(dir);
    dirs.push(dir);
  }
  for (let i = 0; i < count; i++) {
    const [kind, ext, lo, hi] = kinds[i % kinds.length];
    const dir = dirs[i % ndirs];
    if (kind === 'pyc') {
      const stem = `mod_${i}`;
      w.file(`${dir}/${stem}.py`, rsize(lo, hi), 'text', seedN++);
      if (!pycache.has(dir)) {
        pycache.add(dir);
        w.dir(`${dir}/__pycache__/`);
      }
      w.file(`${dir}/__pycache__/${stem}.cpython-310.pyc`, rsize(lo, hi), 'pyc', seedN++);
      i++;
      continue;
    }
    w.file(`${dir}/f_${i}${ext}`, rsize(lo, hi), kind, seedN++);
  }
}

const LAYERS = [
  {
    createdBy: 'ADD ubuntu-base.tar /',
    build(w) {
      for (const d of ['bin', 'etc', 'lib', 'usr', 'usr/bin', 'usr/lib', 'usr/lib/x86_64-linux-gnu', 'usr/share', 'var', 'var/lib', 'var/lib/dpkg']) w.dir(d);
      smallTree(w, 'usr/lib/x86_64-linux-gnu/base', 1800, 60, [['so', '.so.1', 8_000, 3_000_000]]);
      smallTree(w, 'usr/bin/tools', 600, 10, [['exe', '', 10_000, 2_000_000]]);
      smallTree(w, 'usr/share/doc', 3000, 300, [['text', '.txt', 300, 8_000], ['text', '', 200, 20_000]]);
      w.file('var/lib/dpkg/status', 1_400_000, 'text', seedN++);
    },
  },
  {
    createdBy: 'RUN apt-get update && apt-get install -y build-essential python3 python3-pip',
    build(w) {
      w.dir('var/lib/apt/lists');
      for (let i = 0; i < 12; i++) w.file(`var/lib/apt/lists/archive.ubuntu.com_dists_jammy_part${i}_Packages`, rsize(2_000_000, 9_000_000), 'text', seedN++);
      w.dir('usr/lib/gcc/x86_64-linux-gnu/11');
      for (const n of ['cc1', 'cc1plus', 'lto1']) w.file(`usr/lib/gcc/x86_64-linux-gnu/11/${n}`, rint(30_000_000, 36_000_000), 'exe', seedN++, 0o755);
      smallTree(w, 'usr/include', 4000, 200, [['text', '.h', 200, 60_000]]);
      smallTree(w, 'usr/lib/python3.10', 8000, 250, [['pyc', '', 300, 40_000]]);
    },
  },
  {
    createdBy: 'RUN apt-get install -y cuda-libraries-12-1 libcudnn8 libnccl2',
    build(w) {
      const lib = 'usr/local/cuda-12.1/targets/x86_64-linux/lib';
      for (const d of ['usr/local/cuda-12.1', 'usr/local/cuda-12.1/targets', 'usr/local/cuda-12.1/targets/x86_64-linux', lib]) w.dir(d);
      const big = [
        ['libcublasLt.so.12.1.3.1', 560_000_000, 'fatbin'],
        ['libcublas.so.12.1.3.1', 105_000_000, 'so'],
        ['libcufft.so.11.0.2.54', 280_000_000, 'fatbin'],
        ['libcusparse.so.12.1.0.106', 270_000_000, 'fatbin'],
        ['libcusolver.so.11.4.5.107', 290_000_000, 'so'],
        ['libcurand.so.10.3.2.106', 96_000_000, 'so'],
        ['libnpp_all.so.12', 380_000_000, 'so'],
        ['libnvrtc.so.12.1.105', 60_000_000, 'so'],
      ];
      for (const [n, s, k] of big) {
        w.file(`${lib}/${n}`, s, k, seedN++);
        w.symlink(`${lib}/${n.replace(/\.so\..*/, '.so.12')}`, n);
      }
      w.dir('usr/lib/x86_64-linux-gnu');
      w.file('usr/lib/x86_64-linux-gnu/libcudnn_cnn_infer.so.8.9.0', 780_000_000, 'fatbin', seedN++);
      w.file('usr/lib/x86_64-linux-gnu/libcudnn_ops_infer.so.8.9.0', 95_000_000, 'so', seedN++);
      w.file('usr/lib/x86_64-linux-gnu/libnccl.so.2.18.1', 210_000_000, 'fatbin', seedN++);
      smallTree(w, 'usr/local/cuda-12.1/targets/x86_64-linux/include', 3000, 40, [['text', '.h', 300, 200_000], ['text', '.hpp', 300, 60_000]]);
    },
  },
  {
    createdBy: 'RUN apt-get install -y cuda-libraries-dev-12-1 cuda-nvcc-12-1',
    build(w) {
      const lib = 'usr/local/cuda-12.1/targets/x86_64-linux/lib';
      w.file(`${lib}/libcublasLt_static.a`, 662_876_174, 'static', seedN++);
      w.file(`${lib}/libcufft_static.a`, 324_631_048, 'static', seedN++);
      w.file(`${lib}/libcublas_static.a`, 206_596_410, 'static', seedN++);
      w.file(`${lib}/libcusparse_static.a`, 250_000_000, 'static', seedN++);
      w.dir('usr/local/cuda-12.1/bin');
      for (const n of ['nvcc', 'ptxas', 'cicc', 'nvlink', 'fatbinary', 'cuobjdump', 'nvdisasm']) w.file(`usr/local/cuda-12.1/bin/${n}`, rint(5_000_000, 45_000_000), 'exe', seedN++, 0o755);
      smallTree(w, 'usr/local/cuda-12.1/nvvm', 1500, 30, [['text', '.h', 300, 30_000], ['so', '.so', 50_000, 2_000_000]]);
    },
  },
  {
    createdBy: 'RUN pip install torch==2.1.0 torchvision transformers',
    build(w) {
      const sp = 'usr/local/lib/python3.10/site-packages';
      w.dir(sp);
      w.dir(`${sp}/torch`);
      w.dir(`${sp}/torch/lib`);
      w.file(`${sp}/torch/lib/libtorch_cuda.so`, 1_100_000_000, 'fatbin', seedN++);
      w.file(`${sp}/torch/lib/libtorch_cpu.so`, 451_000_000, 'so', seedN++);
      w.file(`${sp}/torch/lib/libcudnn_cnn_infer.so.8`, 621_000_000, 'fatbin', seedN++);
      w.file(`${sp}/torch/lib/libcublasLt.so.11`, 548_000_000, 'fatbin', seedN++);
      w.file(`${sp}/torch/lib/libnvrtc-08c4863f.so.11.2`, 45_000_000, 'so', seedN++);
      w.dir(`${sp}/nvidia`);
      w.dir(`${sp}/nvidia/cusolver/lib`);
      w.file(`${sp}/nvidia/cusolver/lib/libcusolver.so.11`, 488_000_000, 'so', seedN++);
      w.dir(`${sp}/nvidia/nccl/lib`);
      w.file(`${sp}/nvidia/nccl/lib/libnccl.so.2`, 176_000_000, 'fatbin', seedN++);
      // torch, transformers, numpy ... as many small modules (.py + .pyc), headers and extensions
      smallTree(w, `${sp}/torch/_pkgs`, 64000, 1600, [['pyc', '', 200, 30_000]]);
      smallTree(w, `${sp}/torch/include`, 14000, 500, [['text', '.h', 300, 40_000]]);
      smallTree(w, `${sp}/transformers`, 40000, 900, [['pyc', '', 300, 50_000]]);
      smallTree(w, `${sp}/ext`, 1200, 60, [['so', '.cpython-310-x86_64-linux-gnu.so', 20_000, 8_000_000], ['data', '.npy', 2_000, 4_000_000]]);
    },
  },
  {
    createdBy: 'RUN pip download -d /root/.cache/pip ... (pip cache left behind)',
    build(w) {
      w.dir('root/.cache/pip/http-v2');
      for (let i = 0; i < 256; i++) w.dir(`root/.cache/pip/http-v2/${i.toString(16).padStart(2, '0')}`);
      for (let i = 0; i < 2000; i++) w.file(`root/.cache/pip/http-v2/${(i % 256).toString(16).padStart(2, '0')}/w${i}.body`, rsize(2_000, 3_000_000), 'whl', seedN++);
      w.file('root/.cache/pip/http-v2/0f/torch-2.1.0-cp310-cp310-manylinux1_x86_64.whl.body', 670_000_000, 'whl', seedN++);
    },
  },
  {
    createdBy: 'COPY . /app',
    build(w) {
      w.dir('app');
      smallTree(w, 'app/src', 12000, 400, [['text', '.py', 100, 20_000], ['text', '.json', 50, 4_000]]);
    },
  },
  {
    createdBy: 'RUN rm -rf /root/.cache/pip',
    build(w) {
      w.dir('root');
      w.dir('root/.cache');
      w.header('root/.cache/.wh.pip', { size: 0 });
    },
  },
];

function main() {
  if (existsSync(archive)) {
    console.log(`${archive} exists (${statSync(archive).size} bytes); delete it to regenerate`);
    return;
  }
  mkdirSync(join(out, 'layers'), { recursive: true });
  console.log(`textures calibrated in ${Date.now() - t0} ms`);
  const diffIds = [];
  let entries = 0;
  for (const [i, layer] of LAYERS.entries()) {
    const f = join(out, 'layers', `layer-${i}.tar`);
    const w = new TarWriter(f);
    layer.build(w);
    diffIds.push(w.finish());
    entries += w.entries;
    console.log(`layer ${i}: ${statSync(f).size} bytes, ${w.entries} entries (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/cuda/bin:/usr/bin:/bin'] },
    history: LAYERS.map((l) => ({ created_by: l.createdBy })),
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const configHex = createHash('sha256').update(config).digest('hex');
  const tmp = `${archive}.tmp`;
  const w = new TarWriter(tmp);
  const layerNames = [];
  const chunk = Buffer.allocUnsafe(8 * MiB);
  for (let i = 0; i < LAYERS.length; i++) {
    const name = `${diffIds[i].slice(7)}/layer.tar`;
    layerNames.push(name);
    const f = join(out, 'layers', `layer-${i}.tar`);
    const size = statSync(f).size;
    w.header(name, { size });
    const fd = openSync(f, 'r');
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      w.put(chunk, 0, n);
      pos += n;
    }
    closeSync(fd);
    w.zeros((512 - (size % 512)) % 512);
  }
  const cfg = Buffer.from(config);
  w.header(`${configHex}.json`, { size: cfg.length });
  w.put(cfg);
  w.zeros((512 - (cfg.length % 512)) % 512);
  const manifest = Buffer.from(JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ['cuda-bench:latest'], Layers: layerNames }]));
  w.header('manifest.json', { size: manifest.length });
  w.put(manifest);
  w.zeros((512 - (manifest.length % 512)) % 512);
  w.finish();
  renameSync(tmp, archive);
  writeFileSync(join(out, 'bench.json'), JSON.stringify({ layers: LAYERS.length, entries }));
  console.log(`${archive}: ${statSync(archive).size} bytes, ${entries} entries, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main();

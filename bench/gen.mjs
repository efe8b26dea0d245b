// Generates the benchmark archive (not committed): a legacy docker-save tar of 8 layers,
// ≥ 4 GB and ≥ 200k entries, plus the layer tars extracted beside it for the GNU tar floor.
// Usage: node bench/gen.mjs [outDir]   (default bench/out)
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import tar from 'tar-stream';

const out = process.argv[2] ?? new URL('./out', import.meta.url).pathname;
const LAYERS = 8;
const SMALL_PER_LAYER = 25_000;
const BIG_PER_LAYER = 13;
const BIG_SIZE = 25_000_000;
const archive = join(out, 'bench.tar');

// Deterministic PRNG and a 1 MiB block of text-like data reused for payloads.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const BLOCK = Buffer.alloc(1 << 20);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = 32 + Math.floor(rand() * 64);

function payload(size) {
  if (size <= BLOCK.length) return BLOCK.subarray(0, size);
  const s = new PassThrough({ highWaterMark: 1 << 20 });
  (async () => {
    let left = size;
    while (left > 0) {
      const n = Math.min(left, BLOCK.length);
      if (!s.write(BLOCK.subarray(0, n))) await new Promise((r) => s.once('drain', r));
      left -= n;
    }
    s.end();
  })();
  return s;
}

async function addEntry(pack, header, body) {
  if (Buffer.isBuffer(body) || body === undefined) {
    await new Promise((res, rej) => pack.entry(header, body, (e) => (e ? rej(e) : res())));
  } else {
    await new Promise((res, rej) => {
      const e = pack.entry(header, (err) => (err ? rej(err) : res()));
      body.pipe(e);
    });
  }
}

async function writeLayer(i, file) {
  const pack = tar.pack();
  const hash = createHash('sha256');
  pack.on('data', (c) => hash.update(c));
  const done = pipeline(pack, createWriteStream(file));
  const mtime = new Date(0);
  const dirs = 100;
  for (let d = 0; d < dirs; d++) await addEntry(pack, { name: `layer${i}/dir${d}/`, type: 'directory', mtime });
  for (let f = 0; f < SMALL_PER_LAYER; f++) {
    const size = 1 + Math.floor(rand() * 16384);
    await addEntry(pack, { name: `layer${i}/dir${f % dirs}/file-${f}.txt`, size, mtime }, payload(size));
  }
  for (let b = 0; b < BIG_PER_LAYER; b++) {
    await addEntry(pack, { name: `layer${i}/big/blob-${b}.bin`, size: BIG_SIZE, mtime }, payload(BIG_SIZE));
  }
  pack.finalize();
  await done;
  return `sha256:${hash.digest('hex')}`;
}

async function main() {
  if (existsSync(archive)) {
    console.log(`${archive} exists (${statSync(archive).size} bytes); delete it to regenerate`);
    return;
  }
  mkdirSync(join(out, 'layers'), { recursive: true });
  const diffIds = [];
  for (let i = 0; i < LAYERS; i++) {
    const f = join(out, 'layers', `layer-${i}.tar`);
    diffIds.push(await writeLayer(i, f));
    console.log(`layer ${i}: ${statSync(f).size} bytes`);
  }
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    history: diffIds.map((_, i) => ({ created_by: `RUN generate layer ${i}` })),
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  const configHex = createHash('sha256').update(config).digest('hex');
  const pack = tar.pack();
  const tmp = `${archive}.tmp`;
  const done = pipeline(pack, createWriteStream(tmp));
  const layerNames = [];
  for (let i = 0; i < LAYERS; i++) {
    const hex = diffIds[i].slice(7);
    const name = `${hex}/layer.tar`;
    layerNames.push(name);
    const f = join(out, 'layers', `layer-${i}.tar`);
    await addEntry(pack, { name, size: statSync(f).size }, createReadStream(f, { highWaterMark: 1 << 20 }));
  }
  await addEntry(pack, { name: `${configHex}.json` }, Buffer.from(config));
  const manifest = JSON.stringify([{ Config: `${configHex}.json`, RepoTags: ['bench:latest'], Layers: layerNames }]);
  await addEntry(pack, { name: 'manifest.json' }, Buffer.from(manifest));
  pack.finalize();
  await done;
  renameSync(tmp, archive);
  writeFileSync(join(out, 'bench.json'), JSON.stringify({ layers: LAYERS, entries: LAYERS * (SMALL_PER_LAYER + BIG_PER_LAYER + 100) }));
  console.log(`${archive}: ${statSync(archive).size} bytes`);
}

await main();

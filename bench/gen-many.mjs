// Generates one-layer docker-save archives with many small files, for memory per entry
// (issue 16): node bench/gen-many.mjs <count> [outDir]  →  <outDir>/many-<count>.tar
// Files of 0–2 KiB in a conda/site-packages-like tree (1,000 directories, names of 20–60 bytes).
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const count = Number(process.argv[2] ?? 100_000);
const out = process.argv[3] ?? '/var/tmp/imgsize-bench/many';
const archive = join(out, `many-${count}.tar`);

function header(name, size, type = '0') {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write(`${(type === '5' ? 0o755 : 0o644).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i];
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function layerTar() {
  const parts = [];
  const body = Buffer.alloc(2048, 'x');
  const dirs = 1000;
  for (let d = 0; d < dirs; d++) parts.push(header(`opt/conda/lib/python3.11/site-packages/pkg${d}/`, 0, '5'));
  for (let i = 0; i < count; i++) {
    const size = (i * 7919) % 2048;
    parts.push(header(`opt/conda/lib/python3.11/site-packages/pkg${i % dirs}/module_${i}_${'abcdefgh'.slice(0, i % 8)}.py`, size));
    if (size) parts.push(body.subarray(0, size), Buffer.alloc((512 - (size % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

if (existsSync(archive)) {
  console.log(`${archive} exists`);
} else {
  mkdirSync(out, { recursive: true });
  const layer = layerTar();
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, history: [{ created_by: 'COPY many files' }], rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const layerName = `${diffId.slice(7)}/layer.tar`;
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [`many:${count}`], Layers: [layerName] }]));
  const pad = (n) => Buffer.alloc((512 - (n % 512)) % 512);
  const fd = openSync(`${archive}.tmp`, 'w');
  for (const b of [header(layerName, layer.length), layer, pad(layer.length), header(configName, config.length), config, pad(config.length), header('manifest.json', manifest.length), manifest, pad(manifest.length), Buffer.alloc(1024)]) {
    for (let o = 0; o < b.length; ) o += writeSync(fd, b, o);
  }
  closeSync(fd);
  renameSync(`${archive}.tmp`, archive);
  console.log(`${archive}: ${statSync(archive).size} bytes, ${count + 1000} entries`);
}

/**
 * Builders for the hostile-input suites: small docker-save archives around hand-made layers, and
 * decompression bombs generated on the fly (never stored: a few MB of compressed members repeated).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ImgsizeError } from '../../packages/core/src/errors.js';
import { BLOCK, endMarker, entry, headerBlock, padding, paxEntry, paxRecord, simpleTar, type SimpleEntry } from '../fuzz/raw-tar.js';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Entries of a legacy docker-save archive holding `layers` (blobs, any bytes) with a matching config. */
export function archiveEntries(layers: Buffer[], opts: { history?: string[]; config?: Record<string, unknown>; tag?: string } = {}): SimpleEntry[] {
  const cfg = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    history: (opts.history ?? layers.map((_, i) => `RUN step ${i}`)).map((c) => ({ created_by: c })),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => `sha256:${sha256(l)}`) },
    ...opts.config,
  });
  return [
    ...layers.map((l, i) => ({ name: `l${i}/layer.tar`, content: l })),
    { name: 'c.json', content: cfg },
    { name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', RepoTags: [opts.tag ?? 'hostile:1'], Layers: layers.map((_, i) => `l${i}/layer.tar`) }]) },
  ];
}

/** A legacy docker-save archive holding `layers`. */
export function archiveOf(layers: Buffer[], opts: Parameters<typeof archiveEntries>[1] = {}): Buffer {
  return simpleTar(archiveEntries(layers, opts));
}

/** The error code a promise settles with ('resolved' when it does not reject). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    if (!(e instanceof ImgsizeError)) throw e;
    return e.code;
  }
}

/** The ImgsizeError a promise rejects with. */
export async function errorOf(p: Promise<unknown>): Promise<ImgsizeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ImgsizeError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const MiB = 1 << 20;

/**
 * A gzip stream of a layer tar holding one file of `zeroBytes` zeros (a pax `size` record, since
 * ustar sizes stop at 8 GiB), as a list of gzip members to be yielded in order: the header member,
 * then the same 64 MiB-of-zeros member again and again (node's gunzip reads concatenated members).
 */
export function gzipZerosLayer(zeroBytes: number): { members: Buffer[]; repeat: Buffer; repeats: number; tail: Buffer; compressedSize: number } {
  const unit = 64 * MiB;
  if (zeroBytes % unit !== 0) throw new Error('zeroBytes must be a multiple of 64 MiB');
  const head = gzipSync(Buffer.concat([paxEntry(paxRecord('size', String(zeroBytes))), headerBlock({ name: 'zeros.bin', size: 0 })]));
  const repeat = gzipSync(Buffer.alloc(unit), { level: 9 });
  const repeats = zeroBytes / unit;
  const tail = gzipSync(Buffer.concat([padding(zeroBytes), endMarker()]));
  return { members: [head], repeat, repeats, tail, compressedSize: head.length + repeat.length * repeats + tail.length };
}

/** Yields the members of `gzipZerosLayer` without ever holding more than one of them. */
export async function* gzipZerosStream(z: ReturnType<typeof gzipZerosLayer>, onChunk?: () => void): AsyncGenerator<Buffer> {
  for (const m of z.members) yield m;
  for (let i = 0; i < z.repeats; i++) {
    onChunk?.();
    yield z.repeat;
  }
  yield z.tail;
}

/**
 * A zstd frame of `blocks` RLE blocks of 128 KiB of zeros: 4 bytes of input per 128 KiB of output
 * (32768:1), the best ratio zstd has. Hand-made (RFC 8878): no zstd compressor is needed.
 */
export function* zstdRleBomb(blocks: number, perChunk = 16_384): Generator<Buffer> {
  yield Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]); // magic; FHD: no FCS, not single-segment; window 128 KiB
  const rle = (last: boolean): Buffer => {
    const v = (last ? 1 : 0) | (1 << 1) | ((128 << 10) << 3);
    return Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, 0]);
  };
  const chunk = Buffer.concat(Array.from({ length: perChunk }, () => rle(false)));
  for (let left = blocks - 1; left > 0; left -= perChunk) yield left >= perChunk ? chunk : chunk.subarray(0, left * 4);
  yield rle(true);
}

/**
 * An outer docker-save archive stream around one layer blob produced by `blob` (of known size):
 * header, blob, padding, config, manifest, end marker. Nothing is buffered but the small parts.
 */
export async function* archiveStreamAround(blob: () => AsyncIterable<Buffer>, blobSize: number): AsyncGenerator<Buffer> {
  const diffId = `sha256:${'0'.repeat(64)}`;
  yield headerBlock({ name: 'l0/layer.tar', size: blobSize });
  for await (const c of blob()) yield c;
  yield padding(blobSize);
  const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } });
  yield entry({ name: 'c.json' }, cfg);
  yield entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'c.json', RepoTags: ['bomb:1'], Layers: ['l0/layer.tar'] }]));
  yield endMarker();
}

/** Samples the process's RSS; `peakDelta` is the growth over the RSS at creation. */
export function rssSampler(): { sample: () => void; peakDelta: () => number } {
  const base = process.memoryUsage().rss;
  let peak = base;
  return {
    sample: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
    peakDelta: () => peak - base,
  };
}

export { BLOCK };

/**
 * Structure-aware generator of broken and hostile docker-save archives for the fuzz suite.
 *
 * A case is an ArchiveSpec (plain data, so fast-check can shrink it and print it): the layers
 * (entries with hostile names, pax / GNU records with absurd lengths, garbage size fields,
 * dangling long names, data after the end marker), each compressed or not and then possibly
 * broken as a blob (truncated, flipped bytes), the config (history that does not match, wrong
 * diff_id count), the manifest (missing, duplicated, symlinked layers; duplicate manifest.json),
 * the layout (legacy, Docker 25+ OCI, index-only), and finally byte-level mutations of the whole
 * archive (truncation, flips, header fields rewritten with or without fixing the checksum).
 * `buildArchive(spec)` turns it into bytes deterministically.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  BLOCK,
  endMarker,
  entry,
  fixChecksum,
  gnuLong,
  headerOffsets,
  paxEntry,
  paxRecord,
  simpleTar,
  type SimpleEntry,
} from './raw-tar.js';

// ---------------------------------------------------------------------------------------------
// Spec

/** One piece of a layer tar. */
export type LayerPart =
  | { k: 'entry'; e: SimpleEntry }
  /** A pax 'x' (or 'g') record with arbitrary records text, then (usually) an entry. */
  | { k: 'pax'; records: string; global: boolean }
  /** A GNU 'L' / 'K' record (its entry follows only if the next part is an entry). */
  | { k: 'gnu'; kind: 'L' | 'K'; value: string }
  /** A header whose size field is raw bytes (checksum fixed or not), with `payload` bytes after it. */
  | { k: 'rawsize'; name: string; type: string; size: string | bigint; payload: number; fixSum: boolean }
  /** A lone zero block. */
  | { k: 'zero' }
  /** A raw name (bytes), e.g. invalid UTF-8. */
  | { k: 'rawname'; bytes: number[] };

export interface LayerSpec {
  parts: LayerPart[];
  /** Write the end-of-archive marker. */
  end: boolean;
  /** Bytes after the end marker: '' none, 'zeros', 'junk', or another tar entry. */
  after: 'none' | 'zeros' | 'junk' | 'entry';
  compression: 'none' | 'gzip' | 'zstd';
  /** Mutations of the uncompressed tar (before compression). */
  tarMutations: Mutation[];
  /** Mutations of the stored blob (after compression). */
  blobMutations: Mutation[];
}

export type Mutation =
  | { m: 'truncate'; at: number }
  | { m: 'flip'; at: number; xor: number }
  /** Rewrite a header field of the `hdr`-th header block (modulo the count); fix the checksum or not. */
  | { m: 'field'; hdr: number; field: 'size' | 'mode' | 'type' | 'name' | 'magic' | 'checksum'; value: string; fixSum: boolean }
  | { m: 'append'; bytes: number[] };

export type ManifestLayers = 'exact' | 'drop' | 'duplicate' | 'missing' | 'reorder' | 'config' | 'dotted' | 'absolute';

export interface ArchiveSpec {
  layout: 'legacy' | 'oci' | 'oci-index-only';
  layers: LayerSpec[];
  /** Legacy: layer.tar as a symlink to the blob (Docker 25+ does this in its OCI layout). */
  symlinkLayers: boolean;
  /** History entries: true = made a layer, false = empty_layer. */
  history: boolean[];
  diffIdDelta: number;
  configJunk: 'none' | 'null' | 'not-json' | 'no-rootfs' | 'bad-digest' | 'hostile-strings';
  manifestLayers: ManifestLayers;
  manifestJunk: 'none' | 'null' | 'not-json' | 'empty' | 'two-images' | 'directory';
  duplicateManifest: 'none' | 'valid-first' | 'valid-last';
  /** Outer entries after the end-of-archive marker. */
  afterEnd: 'none' | 'manifest' | 'junk';
  /** A dangling GNU long name right before the outer end marker. */
  danglingLongName: boolean;
  wholeGzip: boolean;
  mutations: Mutation[];
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** A position as a fraction of the length, uniform (fast-check's doubles lean hard towards 0 and 1). */
const arbFraction = fc.noBias(fc.nat({ max: 100_000 })).map((n) => n / 100_000);
const arbFixSum = fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

const HOSTILE_NAMES = [
  '../../../../tmp/imgsize-pwned',
  '/etc/absolute',
  './etc/dotted',
  'a/../../b',
  '..',
  '.',
  '',
  '/',
  'a//b///c',
  'x\u001b[31mred',
  'cr\rname',
  'nl\nname',
  'tab\there',
  'nul\u0000byte',
  'caf\u00e9/\u00fc\u00df',
  '\u202eevil.txt',
  'etc/.wh.passwd',
  'etc/.wh..wh..opq',
  '.wh.',
  '.wh..wh..opq',
  'usr/.wh.bin',
  'var/lib/dpkg/status',
  'usr/lib/python3/site-packages/pkg-1.0.dist-info/RECORD',
  'opt/conda/conda-meta/zlib-1.2.json',
  'etc/passwd',
  'etc',
  'etc/',
  'usr/bin/app',
];

const arbName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_NAMES) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z]{1,6}(\/[a-z.]{1,6}){0,3}\/?$/) },
  { weight: 1, arbitrary: fc.integer({ min: 99, max: 400 }).map((n) => `long/${'c'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 60 }).map((n) => 'd/'.repeat(n) + 'leaf') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
);

const DPKG_STATUS = 'Package: app\nStatus: install ok installed\nVersion: 1\nInstalled-Size: 4\n\n';
const arbContent: fc.Arbitrary<string> = fc.oneof(
  fc.constant(''),
  fc.constant(DPKG_STATUS),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 1, max: 3000 }).map((n) => 'z'.repeat(n)),
  // Larger than the positional walker's read-ahead window (4-32 KiB): direct reads, split ranges.
  fc.integer({ min: 30_000, max: 120_000 }).map((n) => `${DPKG_STATUS}${'q'.repeat(n)}`),
);

const arbEntry: fc.Arbitrary<SimpleEntry> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ name: arbName, content: arbContent }).map((e) => ({ ...e, type: 'file' as const })) },
  { weight: 2, arbitrary: arbName.map((name) => ({ name, type: 'dir' as const })) },
  { weight: 2, arbitrary: fc.record({ name: arbName, linkname: arbName }).map((e) => ({ ...e, type: 'symlink' as const })) },
  { weight: 1, arbitrary: fc.record({ name: arbName, linkname: arbName }).map((e) => ({ ...e, type: 'hardlink' as const })) },
);

const PAX_RECORDS = [
  paxRecord('path', 'pax/long/name'),
  paxRecord('path', '../../../../tmp/imgsize-pwned-pax'),
  paxRecord('path', 'nul\u0000inside'),
  paxRecord('linkpath', 'pax-link-target'),
  paxRecord('size', '5'),
  paxRecord('size', '-1'),
  paxRecord('size', '1e3'),
  paxRecord('size', '99999999999999999999'),
  paxRecord('size', ''),
  paxRecord('size', '0x10'),
  paxRecord('mtime', 'nan'),
  paxRecord('uid', '-5'),
  '99999999999999 path=absurd\n',
  '0 path=zero\n',
  '3 path=short\n',
  '-7 path=negative\n',
  '18446744073709551616 size=1\n',
  '12 path=no-newline',
  '9999 size=3\n',
  'garbage without length\n',
  '',
];

const arbPart: fc.Arbitrary<LayerPart> = fc.oneof(
  { weight: 8, arbitrary: arbEntry.map((e) => ({ k: 'entry' as const, e })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ recs: fc.array(fc.constantFrom(...PAX_RECORDS), { minLength: 1, maxLength: 3 }), global: fc.boolean() })
      .map(({ recs, global }) => ({ k: 'pax' as const, records: recs.join(''), global })),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom<'L' | 'K'>('L', 'K'), value: arbName }).map((g) => ({ k: 'gnu' as const, ...g })) },
  {
    weight: 2,
    arbitrary: fc.record({
      name: arbName,
      type: fc.constantFrom('0', '5', '2', '1', '3', '4', '6', '7', 'x', 'g', 'L', 'K', 'Z', '\0', 'S'),
      size: fc.oneof(
        fc.constantFrom('00000000000\0', '0000000001x\0', '           ', '-0000000001', '77777777777\0', 'zzzzzzzzzzz\0', '\0\0\0\0\0\0\0\0\0\0\0\0', '0000 0000 00'),
        fc.constantFrom(-1n, -512n, 2n ** 62n, 2n ** 33n, 2n ** 40n, 513n, 1n, 8n ** 11n),
      ),
      payload: fc.integer({ min: 0, max: 1100 }),
      fixSum: arbFixSum,
    }).map((r) => ({ k: 'rawsize' as const, ...r })),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'zero' as const }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }).map((bytes) => ({ k: 'rawname' as const, bytes })) },
);

export const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: arbFraction.map((at) => ({ m: 'truncate' as const, at })) },
  { weight: 4, arbitrary: fc.record({ at: arbFraction, xor: fc.integer({ min: 1, max: 255 }) }).map((f) => ({ m: 'flip' as const, ...f })) },
  {
    weight: 4,
    arbitrary: fc.record({
      hdr: fc.nat(50),
      field: fc.constantFrom<'size' | 'mode' | 'type' | 'name' | 'magic' | 'checksum'>('size', 'mode', 'type', 'name', 'magic', 'checksum'),
      value: fc.oneof(
        fc.constantFrom('\x80\0\0\0\0\0\0\0\0\0\0\x01', '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', '77777777777\0', '0000000000x', '   ', '../../x', '\0', 'L', 'K', 'x', '5', '1', '2', 'ustar\0', 'gnu'),
        fc.string({ maxLength: 12, unit: 'binary' }),
      ),
      fixSum: arbFixSum,
    }).map((f) => ({ m: 'field' as const, ...f })),
  },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 1100 }).map((bytes) => ({ m: 'append' as const, bytes })) },
);

const arbLayer = (zstd: boolean): fc.Arbitrary<LayerSpec> =>
  fc.record({
    parts: fc.array(arbPart, { minLength: 0, maxLength: 8 }),
    end: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    after: fc.constantFrom<LayerSpec['after']>('none', 'none', 'none', 'zeros', 'junk', 'entry'),
    compression: zstd ? fc.constantFrom<LayerSpec['compression']>('none', 'gzip', 'zstd') : fc.constantFrom<LayerSpec['compression']>('none', 'gzip'),
    tarMutations: fc.oneof({ weight: 2, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(arbMutation, { minLength: 1, maxLength: 2 }) }),
    blobMutations: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(arbMutation, { maxLength: 2 }) }),
  });

/** Fuzz cases: mostly hostile-but-parseable, some broken at the byte level. */
export function arbArchive(opts: { zstd: boolean }): fc.Arbitrary<ArchiveSpec> {
  return fc.record({
    layout: fc.constantFrom<ArchiveSpec['layout']>('legacy', 'legacy', 'oci', 'oci-index-only'),
    layers: fc.array(arbLayer(opts.zstd), { minLength: 0, maxLength: 3 }),
    symlinkLayers: fc.boolean(),
    history: fc.array(fc.boolean(), { maxLength: 5 }),
    diffIdDelta: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 1),
    configJunk: fc.oneof(
      { weight: 12, arbitrary: fc.constant<ArchiveSpec['configJunk']>('none') },
      { weight: 3, arbitrary: fc.constant<ArchiveSpec['configJunk']>('hostile-strings') },
      { weight: 4, arbitrary: fc.constantFrom<ArchiveSpec['configJunk']>('null', 'not-json', 'no-rootfs', 'bad-digest') },
    ),
    manifestLayers: fc.constantFrom<ManifestLayers>('exact', 'exact', 'exact', 'drop', 'duplicate', 'missing', 'reorder', 'config', 'dotted', 'absolute'),
    manifestJunk: fc.oneof(
      { weight: 16, arbitrary: fc.constant<ArchiveSpec['manifestJunk']>('none') },
      { weight: 5, arbitrary: fc.constantFrom<ArchiveSpec['manifestJunk']>('null', 'not-json', 'empty', 'two-images', 'directory') },
    ),
    duplicateManifest: fc.constantFrom<ArchiveSpec['duplicateManifest']>('none', 'none', 'none', 'valid-first', 'valid-last'),
    afterEnd: fc.constantFrom<ArchiveSpec['afterEnd']>('none', 'none', 'none', 'manifest', 'junk'),
    danglingLongName: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    wholeGzip: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    mutations: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(arbMutation, { minLength: 1, maxLength: 2 }) }),
  });
}

// ---------------------------------------------------------------------------------------------
// Build

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let zstdAvailable: boolean | undefined;
/** True when the `zstd` command is there (the only zstd compressor on Node 20). */
export function hasZstd(): boolean {
  if (zstdAvailable === undefined) zstdAvailable = spawnSync('zstd', ['--version'], { encoding: 'utf8' }).status === 0;
  return zstdAvailable;
}

const zstdCache = new Map<string, Buffer>();
function zstdCompress(b: Buffer): Buffer {
  const key = sha256(b);
  let out = zstdCache.get(key);
  if (!out) {
    const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: b, maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
    out = r.stdout;
    if (zstdCache.size > 2000) zstdCache.clear();
    zstdCache.set(key, out);
  }
  return out;
}

/** Applies byte-level mutations (positions are fractions of the current length). */
export function mutate(buf: Buffer, muts: readonly Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const mu of muts) {
    switch (mu.m) {
      case 'truncate':
        b = b.subarray(0, Math.floor(mu.at * b.length));
        break;
      case 'flip': {
        if (b.length === 0) break;
        const i = Math.min(b.length - 1, Math.floor(mu.at * b.length));
        b[i] = b[i]! ^ mu.xor;
        break;
      }
      case 'field': {
        const hdrs = headerOffsets(b);
        if (hdrs.length === 0) break;
        const off = hdrs[mu.hdr % hdrs.length]!;
        const [start, len] = { name: [0, 100], mode: [100, 8], size: [124, 12], checksum: [148, 8], type: [156, 1], magic: [257, 8] }[mu.field] as [number, number];
        const v = Buffer.from(mu.value, 'latin1');
        b.fill(0, off + start, off + start + len);
        v.copy(b, off + start, 0, Math.min(len, v.length));
        if (mu.fixSum && mu.field !== 'checksum') fixChecksum(b, off);
        break;
      }
      case 'append':
        b = Buffer.concat([b, Buffer.from(mu.bytes)]);
        break;
    }
  }
  return b;
}

function layerTarOf(spec: LayerSpec): Buffer {
  const parts: Buffer[] = [];
  for (const p of spec.parts) {
    switch (p.k) {
      case 'entry':
        parts.push(simpleTar([p.e], false));
        break;
      case 'pax':
        parts.push(paxEntry(p.records, p.global ? 'g' : 'x'));
        break;
      case 'gnu':
        parts.push(gnuLong(p.kind, p.value));
        break;
      case 'rawsize':
        parts.push(entry({ name: p.name, type: p.type, size: typeof p.size === 'bigint' ? p.size : p.size, checksum: p.fixSum ? 'ok' : 'bad' }, Buffer.alloc(p.payload, 0x61)).subarray(0, BLOCK + p.payload));
        break;
      case 'zero':
        parts.push(Buffer.alloc(BLOCK));
        break;
      case 'rawname':
        parts.push(entry({ name: Buffer.from(p.bytes) }, 'raw-name payload'));
        break;
    }
  }
  // A record whose payload was cut short leaves the stream misaligned: keep block alignment so the
  // end marker still lands on a block boundary (the misalignment itself is what is under test).
  const body = Buffer.concat(parts);
  const pad = body.length % BLOCK === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - (body.length % BLOCK));
  const tail: Buffer[] = [body, pad];
  if (spec.end) tail.push(endMarker());
  if (spec.after === 'zeros') tail.push(Buffer.alloc(4 * BLOCK));
  else if (spec.after === 'junk') tail.push(Buffer.from('junk after the end of the archive'.repeat(20)));
  else if (spec.after === 'entry') tail.push(simpleTar([{ name: 'after/end', content: 'hidden' }]));
  return mutate(Buffer.concat(tail), spec.tarMutations);
}

export interface BuiltLayer {
  tar: Buffer;
  blob: Buffer;
  diffId: string;
  digest: string;
  mediaType: string;
}

function buildLayer(spec: LayerSpec): BuiltLayer {
  const tar = layerTarOf(spec);
  let blob = spec.compression === 'gzip' ? gzipSync(tar) : spec.compression === 'zstd' && hasZstd() ? zstdCompress(tar) : tar;
  blob = mutate(blob, spec.blobMutations);
  const suffix = spec.compression === 'none' ? '' : `+${spec.compression}`;
  return { tar, blob, diffId: `sha256:${sha256(tar)}`, digest: `sha256:${sha256(blob)}`, mediaType: `application/vnd.oci.image.layer.v1.tar${suffix}` };
}

/** Builds the archive bytes of a spec (deterministic). */
export function buildArchive(spec: ArchiveSpec): Buffer {
  const layers = spec.layers.map(buildLayer);
  const outer: SimpleEntry[] = [];
  const history = spec.history.map((made, i) => ({ created_by: `RUN step ${i} \u001b[31mred\r`, ...(made ? {} : { empty_layer: true }) }));
  // diff_ids follow the manifest's (possibly odd) layer order; diffIdDelta breaks the count.
  const order = manifestOrder(spec.manifestLayers, layers.map((_, i) => i), -1);
  let diffIds = order.map((i) => (typeof i === 'number' && i >= 0 ? layers[i]!.diffId : `sha256:${'d'.repeat(64)}`));
  if (spec.diffIdDelta < 0) diffIds = diffIds.slice(0, spec.diffIdDelta);
  else if (spec.diffIdDelta > 0) diffIds = [...diffIds, `sha256:${'e'.repeat(64)}`];
  let config: string;
  switch (spec.configJunk) {
    case 'null':
      config = 'null';
      break;
    case 'not-json':
      config = '{"architecture": "amd64", ';
      break;
    case 'no-rootfs':
      config = JSON.stringify({ architecture: 'amd64', os: 'linux', history });
      break;
    case 'bad-digest':
      config = JSON.stringify({ architecture: 'amd64', os: 'linux', history, rootfs: { type: 'layers', diff_ids: diffIds.map((d) => d.replace('sha256:', 'sha256 ')) } });
      break;
    case 'hostile-strings':
      config = JSON.stringify({
        architecture: '\u001b[2J',
        os: 'linux\r\u001b[31m',
        config: { Env: ['A=\u001b[31m'], Labels: { '\u001b': '\u0007' }, Cmd: ['\u001b]0;title\u0007'] },
        history,
        rootfs: { type: 'layers', diff_ids: diffIds },
      });
      break;
    default:
      config = JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', history, rootfs: { type: 'layers', diff_ids: diffIds } });
  }
  const configHex = sha256(config);
  let layerPaths: string[];
  let configPath: string;
  if (spec.layout === 'legacy') {
    layerPaths = layers.map((l, i) => `${sha256(`${l.digest}${i}`)}/layer.tar`);
    configPath = `${configHex}.json`;
    const seen = new Set<string>();
    layers.forEach((l, i) => {
      const p = layerPaths[i]!;
      if (seen.has(p)) return;
      seen.add(p);
      outer.push({ name: `${p.split('/')[0]}/`, type: 'dir' });
      if (spec.symlinkLayers) {
        outer.push({ name: `blobs/sha256/${l.digest.slice(7)}`, content: l.blob });
        outer.push({ name: p, type: 'symlink', linkname: `../blobs/sha256/${l.digest.slice(7)}` });
      } else {
        outer.push({ name: p, content: l.blob });
      }
      outer.push({ name: `${p.split('/')[0]}/VERSION`, content: '1.0' });
    });
    outer.push({ name: configPath, content: config });
  } else {
    layerPaths = layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`);
    configPath = `blobs/sha256/${configHex}`;
    const seen = new Set<string>();
    layers.forEach((l, i) => {
      if (seen.has(layerPaths[i]!)) return;
      seen.add(layerPaths[i]!);
      outer.push({ name: layerPaths[i]!, content: l.blob });
    });
    outer.push({ name: configPath, content: config });
    const ociManifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${configHex}`, size: Buffer.byteLength(config) },
      layers: manifestOrder(spec.manifestLayers, layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.blob.length }))),
    });
    const mHex = sha256(ociManifest);
    outer.push({ name: `blobs/sha256/${mHex}`, content: ociManifest });
    outer.push({ name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' });
    outer.push({
      name: 'index.json',
      content: JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${mHex}`, size: Buffer.byteLength(ociManifest), annotations: { 'org.opencontainers.image.ref.name': 'fuzz:1' } }],
      }),
    });
  }
  if (spec.layout !== 'oci-index-only') {
    const refs = manifestOrder(spec.manifestLayers, layerPaths, configPath);
    const good = JSON.stringify([{ Config: configPath, RepoTags: ['fuzz:1'], Layers: refs }]);
    let manifest: string | undefined = good;
    switch (spec.manifestJunk) {
      case 'null':
        manifest = 'null';
        break;
      case 'not-json':
        manifest = '[{"Config": ';
        break;
      case 'empty':
        manifest = '[]';
        break;
      case 'two-images':
        manifest = JSON.stringify([{ Config: configPath, RepoTags: ['fuzz:1'], Layers: refs }, { Config: configPath, RepoTags: ['fuzz:2'], Layers: refs }]);
        break;
      case 'directory':
        manifest = undefined;
        outer.push({ name: 'manifest.json/', type: 'dir' });
        break;
    }
    if (spec.duplicateManifest === 'valid-first') outer.push({ name: 'manifest.json', content: good });
    if (manifest !== undefined) outer.push({ name: 'manifest.json', content: manifest });
    if (spec.duplicateManifest === 'valid-last') outer.push({ name: 'manifest.json', content: good });
  }
  let tar = simpleTar(outer, false);
  if (spec.danglingLongName) tar = Buffer.concat([tar, gnuLong('L', 'dangling/long/name')]);
  tar = Buffer.concat([tar, endMarker()]);
  if (spec.afterEnd === 'manifest') tar = Buffer.concat([tar, simpleTar([{ name: 'manifest.json', content: 'null' }])]);
  else if (spec.afterEnd === 'junk') tar = Buffer.concat([tar, Buffer.from('\x01junk')]);
  if (spec.wholeGzip) tar = gzipSync(tar);
  return mutate(tar, spec.mutations);
}

function manifestOrder<T>(how: ManifestLayers, items: T[], configRef?: T): T[] {
  switch (how) {
    case 'drop':
      return items.slice(1);
    case 'duplicate':
      return items.length > 0 ? [...items, items[0]!] : items;
    case 'missing':
      if (items.length > 0 && typeof items[0] === 'number') return [...items, -2 as T];
      return [...items, (typeof items[0] === 'string' || items.length === 0 ? 'nope/layer.tar' : { ...(items[0] as object), digest: `sha256:${'f'.repeat(64)}` }) as T];
    case 'reorder':
      return [...items].reverse();
    case 'config':
      return configRef !== undefined && items.length > 0 ? [configRef, ...items.slice(1)] : items;
    case 'dotted':
      return items.map((p) => (typeof p === 'string' ? (`./x/../${p}` as T) : p));
    case 'absolute':
      return items.map((p) => (typeof p === 'string' ? (`/${p}` as T) : p));
    default:
      return items;
  }
}

/** Chunk sizes for the stream reader (cycled): from byte-by-byte-ish to large. */
export const arbChunks: fc.Arbitrary<number[]> = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 700 }), fc.integer({ min: 700, max: 70_000 }), fc.constant(65_536)),
  { minLength: 1, maxLength: 4 },
);

/**
 * Small limits that generated archives hit, for the limit paths. Only limits whose outcome does
 * not depend on chunking or on unreferenced blobs: the ratio check depends on how much input was
 * fed when an output chunk is counted, and the per-load totals count the blobs the stream reader
 * scans before it knows they are unreferenced (both documented in docs/RELIABILITY.md).
 */
export const FUZZ_LIMITS = [
  { maxEntriesPerLayer: 3 },
  { maxPathLength: 40 },
  { maxPathDepth: 3 },
  { maxTarMetaRecordBytes: 64 },
  { maxMetadataFileBytes: 300 },
  { maxLayers: 1 },
  { maxDecompressedBytes: 2048 },
] as const;

/** The `image` option: mostly none; sometimes one of the generated tags, or one that is not there. */
export const arbImageOption: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('fuzz:1', 'fuzz:2', 'fuzz', 'nope:9', 'sha256:') },
);

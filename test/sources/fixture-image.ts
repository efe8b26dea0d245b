/**
 * Small synthetic images for the source tests, built in code over tar-stream's `pack`: layer tars
 * (files, dirs, symlinks, hardlinks, whiteouts, an opaque dir, a dpkg status file to capture) and
 * a docker-save archive (legacy layout) that `docker load` / `skopeo copy docker-archive:` accept.
 * Content is deterministic (AES-CTR keyed by a seed), so every run builds the same digests.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { pack } from 'tar-stream';

export interface GenFile {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  /** Exact content; otherwise `size` bytes generated from the path (random or text-like). */
  content?: string | Buffer;
  size?: number;
  fill?: 'random' | 'text';
  linkTarget?: string;
  mode?: number;
}

export interface GenLayer {
  createdBy: string;
  files: GenFile[];
}

export interface GenImage {
  repoTag: string;
  layers: GenLayer[];
  architecture?: string;
  os?: string;
  /** History entries without a layer, inserted before the first layer. */
  emptyHistory?: string[];
}

const CREATED = '2024-01-02T03:04:05Z';
const MTIME = new Date(CREATED);

/** Deterministic bytes: random (incompressible) or text-like (compresses ~5x). */
export function genBytes(seed: string, size: number, fill: 'random' | 'text' = 'random'): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const c = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  const raw = c.update(Buffer.alloc(size));
  if (fill === 'random') return raw;
  const words = ['the ', 'image ', 'layer ', 'bytes ', 'where ', 'go ', '\n', 'size ', 'of ', 'files '];
  let out = '';
  for (let i = 0; out.length < size; i++) out += words[raw[i % raw.length]! % words.length];
  return Buffer.from(out.slice(0, size));
}

/** Builds one layer tar in memory. */
export async function layerTar(files: readonly GenFile[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const f of files) {
    const type = f.type ?? 'file';
    const base = { name: f.path, mtime: MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    if (type === 'dir') p.entry({ ...base, type: 'directory', mode: f.mode ?? 0o755 });
    else if (type === 'symlink') p.entry({ ...base, type: 'symlink', linkname: f.linkTarget!, mode: 0o777 });
    else if (type === 'hardlink') p.entry({ ...base, type: 'link', linkname: f.linkTarget!, mode: f.mode ?? 0o644 });
    else {
      const body = f.content !== undefined ? Buffer.from(f.content) : genBytes(f.path, f.size ?? 0, f.fill);
      p.entry({ ...base, type: 'file', mode: f.mode ?? 0o644, size: body.length }, body);
    }
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface BuiltArchive {
  archive: Buffer;
  diffIds: string[];
  configDigest: string;
  layerTars: Buffer[];
}

/** Builds a docker-save archive (legacy layout: `<id>/layer.tar`, `<config>.json`, `manifest.json`). */
export async function dockerArchive(img: GenImage): Promise<BuiltArchive> {
  const layerTars = await Promise.all(img.layers.map((l) => layerTar(l.files)));
  const diffIds = layerTars.map((t) => `sha256:${sha256(t)}`);
  const history = [
    ...(img.emptyHistory ?? []).map((c) => ({ created: CREATED, created_by: c, empty_layer: true })),
    ...img.layers.map((l) => ({ created: CREATED, created_by: l.createdBy })),
  ];
  const config = JSON.stringify({
    architecture: img.architecture ?? 'amd64',
    os: img.os ?? 'linux',
    created: CREATED,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/app'], Labels: { 'org.example.fixture': 'imgsize' } },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  });
  const configHex = sha256(config);
  const layerDirs = layerTars.map((t, i) => sha256(`${i}:${sha256(t)}`));
  const manifest = JSON.stringify([{ Config: `${configHex}.json`, RepoTags: [img.repoTag], Layers: layerDirs.map((d) => `${d}/layer.tar`) }]);
  const outer = pack();
  const chunks: Buffer[] = [];
  outer.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    outer.on('end', resolve);
    outer.on('error', reject);
  });
  const add = (name: string, body: Buffer | string): void => {
    outer.entry({ name, mtime: MTIME, mode: 0o644, size: Buffer.byteLength(body) }, body);
  };
  layerDirs.forEach((d, i) => {
    outer.entry({ name: `${d}/`, type: 'directory', mtime: MTIME, mode: 0o755 });
    add(`${d}/VERSION`, '1.0');
    add(`${d}/layer.tar`, layerTars[i]!);
  });
  add(`${configHex}.json`, config);
  add('manifest.json', manifest);
  const [repo, tag] = splitTag(img.repoTag);
  add('repositories', JSON.stringify({ [repo]: { [tag]: layerDirs[layerDirs.length - 1] } }));
  outer.finalize();
  await done;
  return { archive: Buffer.concat(chunks), diffIds, configDigest: `sha256:${configHex}`, layerTars };
}

function splitTag(repoTag: string): [string, string] {
  const i = repoTag.lastIndexOf(':');
  return i > repoTag.lastIndexOf('/') ? [repoTag.slice(0, i), repoTag.slice(i + 1)] : [repoTag, 'latest'];
}

/** Writes the archive of `img` to `path`. */
export async function writeDockerArchive(path: string, img: GenImage): Promise<BuiltArchive> {
  const built = await dockerArchive(img);
  await writeFile(path, built.archive);
  return built;
}

const DPKG_STATUS = `Package: libfoo1
Status: install ok installed
Architecture: amd64
Version: 1.2-3
Installed-Size: 300
Description: a fixture library

Package: bar-tools
Status: install ok installed
Architecture: amd64
Version: 0.9
Installed-Size: 90
Description: fixture tools
`;

/** The conformance image: 3 layers with every entry kind the scanners care about. */
export function conformanceImage(repoTag: string, opts: { bigLayerBytes?: number; architecture?: string; salt?: string } = {}): GenImage {
  const big = opts.bigLayerBytes ?? 256 << 10;
  // Unique per run unless given: skopeo's blob-info cache must not swap in blobs of earlier runs.
  const salt = opts.salt ?? `${process.pid}-${Date.now()}-${Math.random()}`;
  return {
    repoTag,
    architecture: opts.architecture,
    emptyHistory: ['/bin/sh -c #(nop)  LABEL org.example.fixture=imgsize'],
    layers: [
      {
        createdBy: '/bin/sh -c #(nop) ADD file:base.tar in / ',
        files: [
          { path: 'bin/', type: 'dir' },
          { path: 'bin/app', size: 40_000, mode: 0o755 },
          { path: 'bin/app-link', type: 'symlink', linkTarget: 'app' },
          { path: 'etc/', type: 'dir' },
          { path: 'etc/os-release', content: 'ID=fixture\nVERSION_ID=1\n' },
          { path: 'etc/build-id', content: `${salt}\n` },
          { path: 'usr/', type: 'dir' },
          { path: 'usr/share/', type: 'dir' },
          { path: 'usr/share/doc/', type: 'dir' },
          { path: 'usr/share/doc/README', size: 20_000, fill: 'text' },
          { path: 'var/', type: 'dir' },
          { path: 'var/lib/', type: 'dir' },
          { path: 'var/lib/dpkg/', type: 'dir' },
          { path: 'var/lib/dpkg/status', content: DPKG_STATUS },
          { path: 'var/cache/', type: 'dir' },
          { path: 'var/cache/junk.bin', size: 30_000 },
          { path: 'opt/', type: 'dir' },
          { path: 'opt/old/', type: 'dir' },
          { path: 'opt/old/a.txt', size: 5_000, fill: 'text' },
        ],
      },
      {
        createdBy: '/bin/sh -c apt-get install -y bar-tools',
        files: [
          { path: 'usr/', type: 'dir' },
          { path: 'usr/lib/', type: 'dir' },
          { path: 'usr/lib/libfoo.so.1', size: big },
          { path: 'usr/lib/libfoo.so', type: 'hardlink', linkTarget: 'usr/lib/libfoo.so.1' },
          { path: 'usr/share/', type: 'dir' },
          { path: 'usr/share/doc/', type: 'dir' },
          { path: 'usr/share/doc/README', size: 25_000, fill: 'text' },
          { path: 'etc/', type: 'dir' },
          { path: 'etc/bar.conf', content: `answer=42\nbuild=${salt}\n` },
        ],
      },
      {
        createdBy: '/bin/sh -c rm -rf /var/cache/junk.bin /opt/old && mkdir /opt/old',
        files: [
          { path: 'var/', type: 'dir' },
          { path: 'var/cache/', type: 'dir' },
          { path: 'var/cache/.wh.junk.bin', content: '' },
          { path: 'opt/', type: 'dir' },
          { path: 'opt/old/', type: 'dir' },
          { path: 'opt/old/.wh..wh..opq', content: '' },
          { path: 'opt/old/new.txt', content: `fresh ${salt}\n` },
        ],
      },
    ],
  };
}

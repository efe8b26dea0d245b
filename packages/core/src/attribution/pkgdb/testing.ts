/**
 * Builders of package databases for tests (hostile ones included): rpm header blobs, BerkeleyDB
 * hash files and ndb files in the layouts the readers expect. Not exported from the package.
 */

/** An rpm header tag for `rpmHeaderBlob`: strings, string arrays or integers. */
export type TagValue = { tag: number; type: 'string'; value: string } | { tag: number; type: 'strings'; value: string[] } | { tag: number; type: 'int32' | 'int16'; value: number[] };

/** Builds an rpm header blob (il, dl, index, data), big-endian as rpm writes it. */
export function rpmHeaderBlob(tags: TagValue[]): Buffer {
  const data: Buffer[] = [];
  let dl = 0;
  const index = Buffer.alloc(tags.length * 16);
  tags.forEach((t, i) => {
    let body: Buffer;
    let type: number;
    let count: number;
    if (t.type === 'string') [body, type, count] = [Buffer.from(`${t.value}\0`), 6, 1];
    else if (t.type === 'strings') [body, type, count] = [Buffer.from(t.value.map((s) => `${s}\0`).join('')), 8, t.value.length];
    else {
      const w = t.type === 'int32' ? 4 : 2;
      const pad = (w - (dl % w)) % w;
      if (pad) {
        data.push(Buffer.alloc(pad));
        dl += pad;
      }
      body = Buffer.alloc(w * t.value.length);
      t.value.forEach((v, j) => (w === 4 ? body.writeUInt32BE(v, j * 4) : body.writeUInt16BE(v, j * 2)));
      [type, count] = [w === 4 ? 4 : 3, t.value.length];
    }
    index.writeUInt32BE(t.tag, i * 16);
    index.writeUInt32BE(type, i * 16 + 4);
    index.writeUInt32BE(dl, i * 16 + 8);
    index.writeUInt32BE(count, i * 16 + 12);
    data.push(body);
    dl += body.length;
  });
  const pre = Buffer.alloc(8);
  pre.writeUInt32BE(tags.length, 0);
  pre.writeUInt32BE(dl, 4);
  return Buffer.concat([pre, index, ...data]);
}

/** A minimal package header: name, version, release, SIZE and files (absolute paths, sizes, modes). */
export function simpleRpm(name: string, files: Array<[path: string, size: number, mode?: number]> = [], size = 0): Buffer {
  const dirs = [...new Set(files.map(([p]) => p.slice(0, p.lastIndexOf('/') + 1)))];
  return rpmHeaderBlob([
    { tag: 1000, type: 'string', value: name },
    { tag: 1001, type: 'string', value: '1.0' },
    { tag: 1002, type: 'string', value: '1' },
    { tag: 1009, type: 'int32', value: [size] },
    ...(files.length > 0
      ? ([
          { tag: 1028, type: 'int32', value: files.map((f) => f[1]) },
          { tag: 1030, type: 'int16', value: files.map((f) => f[2] ?? 0o100644) },
          { tag: 1116, type: 'int32', value: files.map(([p]) => dirs.indexOf(p.slice(0, p.lastIndexOf('/') + 1))) },
          { tag: 1117, type: 'strings', value: files.map(([p]) => p.slice(p.lastIndexOf('/') + 1)) },
          { tag: 1118, type: 'strings', value: dirs },
        ] as TagValue[])
      : []),
  ]);
}

const PAGE = 4096;

/**
 * Builds a BerkeleyDB hash file: page 0 metadata, page 1 a hash page whose values are H_OFFPAGE
 * items, then overflow pages. `chains[i]` lists the overflow pages of value i (page numbers from
 * 2); `next` overrides a page's next-page pointer (to build loops).
 */
export function bdbFile(values: Buffer[], opts: { next?: Record<number, number>; pointAt?: number[] } = {}): Buffer {
  const pages: Buffer[] = [Buffer.alloc(PAGE), Buffer.alloc(PAGE)];
  const meta = pages[0]!;
  meta.writeUInt32LE(0x061561, 12);
  meta.writeUInt32LE(9, 16);
  meta.writeUInt32LE(PAGE, 20);
  meta[25] = 8;
  const hash = pages[1]!;
  hash.writeUInt32LE(1, 8);
  hash[25] = 13;
  const firstPages: number[] = [];
  for (const v of values) {
    const per = PAGE - 26;
    const n = Math.max(1, Math.ceil(v.length / per));
    firstPages.push(pages.length);
    for (let i = 0; i < n; i++) {
      const p = Buffer.alloc(PAGE);
      const no = pages.length;
      p.writeUInt32LE(no, 8);
      p[25] = 7;
      const part = v.subarray(i * per, (i + 1) * per);
      part.copy(p, 26);
      p.writeUInt32LE(i === n - 1 ? 0 : no + 1, 16);
      p.writeUInt16LE(part.length, 22);
      pages.push(p);
    }
  }
  for (const [pg, next] of Object.entries(opts.next ?? {})) pages[Number(pg)]!.writeUInt32LE(next, 16);
  const targets = opts.pointAt ?? firstPages;
  // Items grow down from the page end: key (H_KEYDATA, 4 bytes) and value (H_OFFPAGE, 12 bytes) per pair.
  let top = PAGE;
  const offs: number[] = [];
  targets.forEach((first, i) => {
    top -= 12;
    const val = top;
    hash[val] = 3;
    hash.writeUInt32LE(first, val + 4);
    hash.writeUInt32LE(values[i % values.length]?.length ?? 0, val + 8);
    top -= 5;
    const key = top;
    hash[key] = 1;
    hash.writeUInt32LE(i + 1, key + 1);
    offs.push(key, val);
  });
  hash.writeUInt16LE(offs.length, 20);
  offs.forEach((o, i) => hash.writeUInt16LE(o, 26 + i * 2));
  meta.writeUInt32LE(pages.length - 1, 32);
  return Buffer.concat(pages);
}

/** Builds small tar archives in memory for tests (tar-stream's pack, as node-tar's make-tar does). */
import tar from 'tar-stream';

export interface TarSpec {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}

export async function makeTar(entries: TarSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((res, rej) => {
    pack.on('end', res);
    pack.on('error', rej);
  });
  for (const e of entries) {
    const body = e.content === undefined ? undefined : Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content);
    await new Promise<void>((res, rej) =>
      pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mtime: new Date(0) }, body, (err) => (err ? rej(err) : res())),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A minimal valid legacy docker-save archive holding the given images (each a list of layer tars). */
export async function makeDockerSave(images: { tag: string; layers: Buffer[] }[]): Promise<Buffer> {
  const { createHash } = await import('node:crypto');
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const entries: TarSpec[] = [];
  const manifest: unknown[] = [];
  for (const img of images) {
    const names: string[] = [];
    for (const l of img.layers) {
      const name = `${sha(l)}/layer.tar`;
      if (!entries.some((e) => e.name === name)) entries.push({ name, content: l });
      names.push(name);
    }
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      history: img.layers.map((_, i) => ({ created_by: `RUN step ${i}` })),
      rootfs: { type: 'layers', diff_ids: img.layers.map((l) => `sha256:${sha(l)}`) },
    });
    entries.push({ name: `${sha(config)}.json`, content: config });
    manifest.push({ Config: `${sha(config)}.json`, RepoTags: [img.tag], Layers: names });
  }
  entries.push({ name: 'manifest.json', content: JSON.stringify(manifest) });
  return makeTar(entries);
}

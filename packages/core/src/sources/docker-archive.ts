/**
 * docker-archive source: `docker save` / `podman save` tarballs, legacy layout
 * (`manifest.json` + `<id>/layer.tar`) and Docker 25+ OCI layout (`index.json`, `blobs/sha256/…`,
 * plus `manifest.json`), plain or gzip/zstd-compressed as a whole, with plain/gzip/zstd layer blobs.
 *
 * Two readers, one join: an uncompressed archive file takes the seekable fast path
 * (archive-seekable.ts); anything else the single-pass stream (archive-stream.ts); both hand the
 * archive's contents to archive-join.ts, which ends in the shared `assembleImage`.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgsizeError, withContext } from '../errors.js';
import { resolveLimits, type Limits } from '../limits.js';
import type { ImageSource, LoadedImage, LoadOptions } from '../model.js';
import { sniff } from '../codec.js';
import { joinArchive } from './archive-join.js';
import { readSeekable } from './archive-seekable.js';
import { readStream } from './archive-stream.js';
import { fdChunks, seekablePath } from './fd-reader.js';

/**
 * What the user handed us: a file path, `-` for stdin, or a byte stream. A stream may reuse a
 * chunk's memory once the next chunk is asked for (as stdin's reader does: fd-reader.ts); the
 * reader copies whatever it keeps longer.
 */
export type ArchiveInput = string | Readable | AsyncIterable<Buffer>;

const READ_CHUNK = 1 << 20;

/** Opens a docker-save archive (path, `-` for stdin, or a stream) as an ImageSource. */
export function openDockerArchive(input: ArchiveInput, opts: { name?: string } = {}): ImageSource {
  const description = opts.name ?? (typeof input === 'string' ? (input === '-' ? 'stdin' : input) : 'stream');
  return {
    kind: 'docker-archive',
    description: `docker archive ${description}`,
    load: (options: LoadOptions = {}) => loadArchive(input, description, options),
  };
}

async function loadArchive(input: ArchiveInput, description: string, options: LoadOptions): Promise<LoadedImage> {
  try {
    const limits = resolveLimits(options.limits);
    if (typeof input !== 'string') return await loadFromStream(inputErrors(input as AsyncIterable<Buffer>), description, options, limits, undefined);
    // stdin: a regular file read from its start (`- < image.tar`) is read like one, positionally.
    const path = input === '-' ? seekablePath(0) : input;
    if (path !== undefined) return await loadFile(path, description, options, limits);
    return await loadFromStream(inputErrors(fdChunks(0, () => process.stdin, options.signal)), description, options, limits, undefined);
  } catch (e) {
    throw withContext(e, `reading ${description}`);
  }
}

async function loadFile(path: string, description: string, options: LoadOptions, limits: Limits): Promise<LoadedImage> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ImgsizeError('E_IO', `cannot open ${path}: ${why}`, {
      cause: e,
      hint: code === 'EISDIR' ? 'for an OCI layout directory use oci:<dir>' : undefined,
    });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      // A FIFO or character device: not seekable, read it as a stream.
      const fallback = (): AsyncIterable<Buffer> => fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
      return await loadFromStream(inputErrors(fdChunks(fh.fd, fallback, options.signal)), description, options, limits, undefined);
    }
    const head = Buffer.alloc(Math.min(512, st.size));
    await fh.read(head, 0, head.length, 0);
    if (sniff(head) === 'tar') {
      const img = await joinArchive(await readSeekable(fh, st.size, options, limits), description, options, limits);
      img.source.fastPath = true;
      return img;
    }
    const stream = fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
    return await loadFromStream(inputErrors(stream), description, options, limits, st.size);
  } finally {
    await fh.close();
  }
}

async function loadFromStream(source: AsyncIterable<Buffer>, description: string, options: LoadOptions, limits: Limits, totalBytes: number | undefined): Promise<LoadedImage> {
  const { contents, inputCompression } = await readStream(source, options, limits, totalBytes);
  const img = await joinArchive(contents, description, options, limits);
  img.source.inputCompression = inputCompression;
  img.source.fastPath = false;
  return img;
}

/**
 * Passes the input through, turning its failures into E_IO ("the input could not be read"): a
 * stream that breaks (a dying `docker save`, a reset socket) is not a bug in imgsize, which is
 * what any other error reaching the top would be reported as. ImgsizeErrors and aborts keep theirs.
 */
async function* inputErrors(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch (e) {
        done = true;
        throw withContext(e, 'the input stream failed', 'E_IO');
      }
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

/**
 * Reads a pipe or file descriptor (stdin) into one reused buffer with synchronous `read(2)`s.
 *
 * Why not `process.stdin`: a stream hands out a new 64 KiB buffer per read, and V8 counts each as
 * external memory, so 4.4 GB of input triggered ~70 full mark-compact collections of the whole
 * heap (1.8 s of GC, more as the entry tables grow) and a page fault per fresh page (BENCHMARKS.md
 * §4). One reused buffer costs neither. The chunks are therefore *borrowed*: each is valid until
 * the consumer asks for the next one, and whoever keeps bytes across that point copies them (the
 * contract of `ArchiveInput` streams, docker-archive.ts).
 *
 * Reads block the thread, so the reader yields to the event loop every ~20 ms of work (Yielder:
 * progress, timers, the abort signal). Node puts a pipe on stdin in non-blocking mode once
 * `process.stdin` has been touched; a read that would block (EAGAIN) then hands the rest of the
 * input over to `fallback()` (the stream), losing nothing. A producer that stalls blocks the thread
 * until it writes or closes (an abort is seen then); a library caller that must stay responsive
 * meanwhile passes its own stream (`OpenSourceOptions.stdin`).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { Yielder } from '../tar/yielder.js';

/** Size of the reused buffer (a pipe returns at most its capacity, 64 KiB by default, per read). */
const READ_BUFFER = 1 << 20;

export function fdChunks(fd: number, fallback: () => AsyncIterable<Buffer>, signal?: AbortSignal): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      const buf = Buffer.allocUnsafeSlow(READ_BUFFER);
      const yielder = new Yielder(signal);
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
            yield* fallback();
            return;
          }
          if (code === 'EOF') return; // Windows: a closed pipe
          throw e;
        }
        if (n === 0) return;
        yield buf.subarray(0, n);
        if (yielder.due()) await yielder.yield(0);
      }
    },
  };
}

/**
 * A path that reopens descriptor `fd` when it is a regular file positioned at its start
 * (`imgsize analyze - < image.tar`), so that it can be read positionally (the fast path); else
 * undefined, and the descriptor is read as a stream from where it stands. Linux: the offset is
 * /proc/self/fdinfo's `pos`, and /proc/self/fd/<fd> opens the same file (checked by device and
 * inode: a reopen can be refused, e.g. a file readable only through the inherited descriptor).
 */
export function seekablePath(fd: number): string | undefined {
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (!/^pos:\s*0$/m.test(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))) return undefined;
    const path = `/proc/self/fd/${fd}`;
    const again = openSync(path, 'r');
    try {
      const st2 = fstatSync(again);
      return st2.dev === st.dev && st2.ino === st.ino ? path : undefined;
    } finally {
      closeSync(again);
    }
  } catch {
    return undefined;
  }
}

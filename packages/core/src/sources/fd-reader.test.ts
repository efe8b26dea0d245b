import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fdChunks, seekablePath } from './fd-reader.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'imgsize-fd-reader-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A FIFO fed by a child process: `parts` written with a pause between them. */
function fifoWithWriter(name: string, parts: number[], pauseMs: number): { path: string; done: Promise<void> } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  const script = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(path)},'w');const parts=${JSON.stringify(parts)};let i=0;
    const next=()=>{if(i===parts.length){fs.closeSync(fd);return;}const b=Buffer.alloc(parts[i]);for(let j=0;j<b.length;j++)b[j]=(i*31+j)&255;fs.writeSync(fd,b);i++;setTimeout(next,${pauseMs});};next();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  return { path, done: new Promise((resolve, reject) => child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`writer exited ${c}`))))) };
}

/** The bytes `fifoWithWriter` writes, concatenated. */
function expected(parts: number[]): Buffer {
  return Buffer.concat(parts.map((n, i) => Buffer.from(Array.from({ length: n }, (_, j) => (i * 31 + j) & 255))));
}

it('reads a pipe to its end through one reused buffer, across a writer that pauses', async () => {
  const parts = [100, 70_000, 3, 200_000, 1];
  const { path, done } = fifoWithWriter('slow', parts, 30);
  const fd = openSync(path, 'r'); // blocking, as a shell pipe on stdin is
  const got: Buffer[] = [];
  const backing = new Set<ArrayBufferLike>();
  try {
    for await (const c of fdChunks(fd, () => {
      throw new Error('no fallback expected on a blocking descriptor');
    })) {
      backing.add(c.buffer);
      got.push(Buffer.from(c));
    }
  } finally {
    closeSync(fd);
  }
  await done;
  expect(Buffer.concat(got).equals(expected(parts))).toBe(true);
  expect(got.length).toBeGreaterThan(2);
  expect(backing.size).toBe(1); // no buffer per read
});

it('hands the rest of a non-blocking descriptor to the fallback, losing nothing', async () => {
  const parts = [5000, 5000, 5000];
  const { path, done } = fifoWithWriter('nonblocking', parts, 50);
  // O_NONBLOCK: what Node does to a pipe on fd 0 once process.stdin is touched. A blocking open
  // first waits for the writer, so the non-blocking descriptor sees "no data yet", not end of file.
  const opened = openSync(path, 'r');
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  closeSync(opened);
  let fellBack = false;
  const got: Buffer[] = [];
  try {
    const fallback = async function* (): AsyncGenerator<Buffer> {
      fellBack = true;
      // a stand-in for the stream: poll the descriptor until its writer closes it
      const { readSync } = await import('node:fs');
      const buf = Buffer.alloc(4096);
      for (;;) {
        try {
          const n = readSync(fd, buf, 0, buf.length, null);
          if (n === 0) return;
          yield Buffer.from(buf.subarray(0, n));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    for await (const c of fdChunks(fd, fallback)) got.push(Buffer.from(c));
  } finally {
    closeSync(fd);
  }
  await done;
  expect(fellBack).toBe(true);
  expect(Buffer.concat(got).equals(expected(parts))).toBe(true);
});

it('stops at the abort signal between reads', async () => {
  const parts = Array.from({ length: 40 }, () => 65_536);
  const { path, done } = fifoWithWriter('abort', parts, 1);
  const fd = openSync(path, 'r');
  const ac = new AbortController();
  let n = 0;
  try {
    await expect(
      (async () => {
        for await (const c of fdChunks(fd, () => [], ac.signal)) {
          n += c.length;
          if (n > 100_000) ac.abort();
          // simulate work so that a yield to the event loop falls due
          const until = performance.now() + 25;
          while (performance.now() < until);
        }
      })(),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
  } finally {
    closeSync(fd);
  }
  await done.catch(() => undefined); // the writer may see EPIPE once the reader has gone
  expect(n).toBeLessThan(parts.length * 65_536);
});

it('seekablePath: a regular file at offset 0 reopens by path; a moved offset, a FIFO or a device does not', () => {
  const file = join(dir, 'plain');
  writeFileSync(file, 'abcdef');
  const fd = openSync(file, 'r');
  try {
    const path = seekablePath(fd);
    if (process.platform !== 'linux') {
      expect(path).toBeUndefined();
      return;
    }
    expect(path).toBe(`/proc/self/fd/${fd}`);
    readSync(fd, Buffer.alloc(2), 0, 2, null); // the offset is now 2: positional reads from 0 would be wrong
    expect(seekablePath(fd)).toBeUndefined();
  } finally {
    closeSync(fd);
  }
  const dev = openSync('/dev/null', 'r');
  try {
    expect(seekablePath(dev)).toBeUndefined();
  } finally {
    closeSync(dev);
  }
  const fifo = join(dir, 'fifo-seek');
  execFileSync('mkfifo', [fifo]);
  const rw = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  try {
    expect(seekablePath(rw)).toBeUndefined();
  } finally {
    closeSync(rw);
  }
});

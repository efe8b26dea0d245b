/** Regression tests named after the bug they pin. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walkTarRegion } from './positional-walker.js';
import { walkTarStream } from './stream-walker.js';
import type { TarEntryHeader, TarVisitor } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'imgsize-tar-regress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(): { visitor: TarVisitor; entries: Pick<TarEntryHeader, 'name' | 'type' | 'size'>[] } {
  const entries: Pick<TarEntryHeader, 'name' | 'type' | 'size'>[] = [];
  return { visitor: { entry: (h) => (entries.push({ name: h.name, type: h.type, size: h.size }), null) }, entries };
}

describe('tar regressions', () => {
  it.each(['pax', 'gnu'])(
    'file-with-long-name-whose-truncated-ustar-name-ends-in-slash is a file, not a directory (%s)',
    async (format) => {
      // GNU tar writes the first 100 bytes of the long name into the ustar name field; when byte
      // 100 is a '/', node-tar's old-tar rule took the regular file for a directory and the walk
      // then failed with a checksum error inside the file's payload.
      const root = join(dir, format);
      const longDir = `${'d'.repeat(87)}/__pycache__`; // 99 chars + '/' = 100
      mkdirSync(join(root, longDir), { recursive: true });
      writeFileSync(join(root, longDir, '__init__.cpython-311.pyc'), 'x'.repeat(3000));
      const tarPath = join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format === 'pax' ? 'pax' : 'gnu'}`, '-C', root, '-cf', tarPath, longDir.split('/')[0]!]);
      const fromStream = collect();
      await walkTarStream([readFileSync(tarPath)], fromStream.visitor);
      const fh = await open(tarPath, 'r');
      const positional = collect();
      try {
        await walkTarRegion(fh, 0, (await fh.stat()).size, positional.visitor);
      } finally {
        await fh.close();
      }
      const file = fromStream.entries.find((e) => e.name.endsWith('.pyc'));
      expect(file).toEqual({ name: `${longDir}/__init__.cpython-311.pyc`, type: 'file', size: 3000 });
      expect(positional.entries).toEqual(fromStream.entries);
    },
  );
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contextFiles, parseDockerIgnore } from './verify.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('.dockerignore (the build context of --verify)', () => {
  it('matches like the Docker CLI: dirs, globs, **, ! exceptions, last rule wins', () => {
    const ig = parseDockerIgnore('# comment\n.git\n/build/\n*.log\n**/__pycache__\nsrc/**/*.tmp\ndocs\n!docs/keep.md\n');
    const ex = (p: string) => ig.excluded(p);
    expect(ex('.git')).toBe(true);
    expect(ex('.git/objects/ab')).toBe(true);
    expect(ex('build/out.o')).toBe(true);
    expect(ex('a.log')).toBe(true);
    expect(ex('sub/a.log')).toBe(false); // `*` does not cross directories
    expect(ex('x/y/__pycache__/m.pyc')).toBe(true);
    expect(ex('__pycache__/m.pyc')).toBe(true);
    expect(ex('src/a/b/c.tmp')).toBe(true);
    expect(ex('docs/a.md')).toBe(true);
    expect(ex('docs/keep.md')).toBe(false);
    expect(ex('Dockerfile')).toBe(false);
    expect(parseDockerIgnore(null).excluded('anything')).toBe(false);
  });

  it('lists the context files it keeps, looking inside excluded directories for exceptions', async () => {
    const d = mkdtempSync(join(tmpdir(), 'imgsize-ctx-'));
    dirs.push(d);
    for (const f of ['.git/HEAD', 'app/main.py', 'app/__pycache__/main.pyc', 'docs/a.md', 'docs/keep.md', 'Dockerfile']) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), 'x');
    }
    const files = await contextFiles(d, parseDockerIgnore('.git\n**/__pycache__\ndocs\n!docs/keep.md\n'), []);
    expect(files).toEqual(['Dockerfile', 'app/main.py', 'docs/keep.md']);
  });
});

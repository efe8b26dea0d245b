/**
 * `imgsize fix` and `analyze --dockerfile` end to end on the bundled naive example (its Dockerfile
 * is written here from the image's own history: a BuildKit build on an NVIDIA CUDA base), and the
 * bad inputs: each is one line `imgsize: error E_…`, exit 2, and nothing written.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli.js';

const NAIVE = resolve('fixtures/images/examples/naive-ml.tar.gz');

/** The final stage of the naive example's Dockerfile, as its history records it. */
const NAIVE_DOCKERFILE = `FROM nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y build-essential python3.11 python3.11-venv python3.11-dev git libgl1 libglib2.0-0
RUN python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install torch==2.2.0 torchvision==0.17.0 opencv-python==4.9.0.80 numpy==1.26.4 transformers==4.37.2 timm==0.9.12 pycocotools==2.0.7
RUN curl -Ls https://micro.mamba.pm/api/micromamba/linux-64/latest | tar -xvj -C /usr/local bin/micromamba && MAMBA_ROOT_PREFIX=/opt/conda micromamba install -y -p /opt/conda -c conda-forge ffmpeg=6.1.1
ENV HF_HOME=/root/.cache/huggingface
RUN python -c "from transformers import AutoModelForObjectDetection; AutoModelForObjectDetection.from_pretrained('facebook/detr-resnet-50')"
WORKDIR /app
COPY . /app
RUN chmod -R a+rX /app/models
RUN rm -rf /var/lib/apt/lists/*
RUN apt-get clean && rm -rf /var/cache/apt/archives && mkdir -p /var/cache/apt/archives/partial
EXPOSE 8000
CMD ["python", "serve.py"]
`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'imgsize-fix-cli-'));
  dirs.push(d);
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(join(d, p, '..'), { recursive: true });
    writeFileSync(join(d, p), t);
  }
  return d;
}
const listing = (d: string): string[] => readdirSync(d).sort();

describe('imgsize fix on the naive example', () => {
  it('analyze --dockerfile puts every finding at its line (terminal, markdown, json)', async () => {
    const d = tmp({ Dockerfile: NAIVE_DOCKERFILE });
    const json = await runCliInProcess(['analyze', NAIVE, '--dockerfile', join(d, 'Dockerfile'), '--json']);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as { findings: Array<{ id: string; dockerfile?: { line: number; base: boolean } }> };
    const at = Object.fromEntries(r.findings.map((f) => [f.id, f.dockerfile?.line]));
    expect(at['pip-cache']).toBe(6);
    expect(at['opencv-gui']).toBe(6);
    expect(at['conda-cache']).toBe(7);
    expect(at['vcs']).toBe(11);
    expect(at['build-tools']).toBe(3);
    // CUDA devel files come from the base image: reported at the FROM line
    expect(r.findings.find((f) => f.id === 'cuda-devel')?.dockerfile).toMatchObject({ line: 1, base: true });
    const term = await runCliInProcess(['analyze', NAIVE, '--dockerfile', join(d, 'Dockerfile')]);
    expect(term.stdout).toContain('Dockerfile:6');
    const md = await runCliInProcess(['analyze', NAIVE, '--dockerfile', join(d, 'Dockerfile'), '--format', 'markdown']);
    expect(md.stdout).toContain('`Dockerfile:6`');
  });

  it('fix prints a patch git apply and patch -p0 accept; --write applies it with a .bak; --safe-only drops review hunks', async () => {
    const d = tmp({ Dockerfile: NAIVE_DOCKERFILE });
    const cwd = process.cwd();
    process.chdir(d);
    try {
      const r = await runCliInProcess(['fix', NAIVE, '--dockerfile', 'Dockerfile']);
      expect(r.code, r.stderr).toBe(0);
      const hunks = r.stdout.match(/^# imgsize fix \d+.*$/gm) ?? [];
      expect(hunks.length).toBeGreaterThanOrEqual(5);
      expect(r.stdout).toContain('+RUN pip install --no-cache-dir torch==2.2.0');
      expect(r.stdout).toContain('opencv-python-headless==4.9.0.80');
      expect(r.stdout).toContain('+++ ./.dockerignore');
      expect(r.stdout).toMatch(/# imgsize fix \d+ \[review\]: cuda-devel/);
      // build-essential and python3.11-dev go to a builder stage; the venv's packages are copied
      expect(r.stdout).toMatch(/# imgsize fix \d+ \[review\]: build-tools .*without build-essential, python3\.11-dev \(Dockerfile:3\)/);
      expect(r.stdout).toContain('+COPY --from=builder /install /');
      for (const h of hunks) expect(h).toMatch(/predicted savings [\d.]+ [kMG]?B uncompressed, [\d.]+ [kMG]?B compressed/);
      writeFileSync('fix.patch', r.stdout);
      // both tools, each in its own copy (hunks build on each other: --dry-run cannot show that)
      const applied: string[] = [];
      for (const tool of [['patch', '-p0', '--batch', '-i', '../fix.patch'], ['git', 'apply', '../fix.patch']]) {
        const c = join(d, tool[0]!);
        mkdirSync(c);
        writeFileSync(join(c, 'Dockerfile'), NAIVE_DOCKERFILE);
        execFileSync(tool[0]!, tool.slice(1), { stdio: 'pipe', cwd: c });
        applied.push(readFileSync(join(c, 'Dockerfile'), 'utf8'));
      }
      const safe = await runCliInProcess(['fix', NAIVE, '--dockerfile', 'Dockerfile', '--safe-only']);
      expect(safe.stdout).not.toContain('[review]');
      expect(safe.stdout).not.toContain('AS builder');
      expect((safe.stdout.match(/^# imgsize fix/gm) ?? []).length).toBeLessThan(hunks.length);
      const w = await runCliInProcess(['fix', NAIVE, '--dockerfile', 'Dockerfile', '--write']);
      expect(w.code, w.stderr).toBe(0);
      expect(readFileSync('Dockerfile.bak', 'utf8')).toBe(NAIVE_DOCKERFILE);
      expect(readFileSync('Dockerfile', 'utf8')).toContain('RUN pip install --root=/install --no-cache-dir torch==2.2.0');
      expect(applied, 'the written file is exactly the patch applied, by either tool').toEqual([readFileSync('Dockerfile', 'utf8'), readFileSync('Dockerfile', 'utf8')]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('bad input: one line with a code, exit 2, nothing written', () => {
  const cases: Array<[string, (d: string) => string[], RegExp]> = [
    ['a Dockerfile with a syntax error', (d) => (writeFileSync(join(d, 'Dockerfile'), 'FROM x\nRUNN echo\n'), ['--dockerfile', join(d, 'Dockerfile')]), /^imgsize: error E_DOCKERFILE_SYNTAX: .*Dockerfile:2: unknown instruction RUNN$/m],
    ['a missing file', (d) => ['--dockerfile', join(d, 'nope', 'Dockerfile')], /^imgsize: error E_IO: reading Dockerfile .*: no such file$/m],
    ['a directory', (d) => ['--dockerfile', d], /^imgsize: error E_IO: reading Dockerfile .*: is a directory$/m],
    ['a Dockerfile of another image', (d) => (writeFileSync(join(d, 'Dockerfile'), 'FROM debian\nRUN make\nCOPY . /src\nRUN make install\n'), ['--dockerfile', join(d, 'Dockerfile')]), /^imgsize: error E_DOCKERFILE_MISMATCH: .*does not belong to this image/m],
    ['--verify without an engine', (d) => (writeFileSync(join(d, 'Dockerfile'), NAIVE_DOCKERFILE), ['--dockerfile', join(d, 'Dockerfile'), '--verify', '--docker-host', `unix://${join(d, 'no.sock')}`]), /^imgsize: error E_DAEMON: cannot reach the container engine/m],
  ];
  for (const [what, args, msg] of cases) {
    it(what, async () => {
      const d = tmp();
      const a = args(d);
      const before = listing(d);
      const beforeText = before.includes('Dockerfile') ? readFileSync(join(d, 'Dockerfile'), 'utf8') : null;
      const r = await runCliInProcess(['fix', NAIVE, ...a, '--write']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('imgsize: error'))).toHaveLength(1);
      expect(listing(d)).toEqual(before);
      if (beforeText !== null) expect(readFileSync(join(d, 'Dockerfile'), 'utf8')).toBe(beforeText);
    });
  }
});

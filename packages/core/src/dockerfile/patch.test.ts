import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffSection, planFix, type FixPlan, type FindingPlacement } from './patch.js';
import { parseDockerfile } from './parse.js';
import { fakeFinding, placeAt } from './testing.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function plan(text: string, place: (df: ReturnType<typeof parseDockerfile>) => FindingPlacement[], opts: { dockerignore?: string | null; safeOnly?: boolean; builder?: 'classic' | 'buildkit'; packages?: Parameters<typeof planFix>[0]['packages'] } = {}): FixPlan {
  const df = parseDockerfile(text);
  return planFix({
    dockerfileText: text,
    patchPath: 'Dockerfile',
    dockerignorePath: '.dockerignore',
    dockerignoreText: opts.dockerignore ?? null,
    placements: place(df),
    builder: opts.builder ?? 'buildkit',
    packages: opts.packages,
    safeOnly: opts.safeOnly,
  });
}

/** Applies the patch with the real tools (patch -p0 and git apply) and returns the resulting files. */
function applyWithTools(text: string, dockerignore: string | null, patch: string): { patch: string; git: string; ignorePatch: string | null; ignoreGit: string | null } {
  const out: Record<string, { df: string; ig: string | null }> = {};
  for (const tool of ['patch', 'git']) {
    const dir = mkdtempSync(join(tmpdir(), 'imgsize-patch-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'Dockerfile'), text);
    if (dockerignore !== null) writeFileSync(join(dir, '.dockerignore'), dockerignore);
    writeFileSync(join(dir, 'fix.patch'), patch);
    if (tool === 'patch') execFileSync('patch', ['-p0', '--batch', '--forward', '-i', 'fix.patch'], { cwd: dir, stdio: 'pipe' });
    else execFileSync('git', ['apply', '--unsafe-paths', 'fix.patch'], { cwd: dir, stdio: 'pipe' });
    out[tool] = { df: readFileSync(join(dir, 'Dockerfile'), 'utf8'), ig: existsSync(join(dir, '.dockerignore')) ? readFileSync(join(dir, '.dockerignore'), 'utf8') : null };
  }
  return { patch: out.patch!.df, git: out.git!.df, ignorePatch: out.patch!.ig, ignoreGit: out.git!.ig };
}

/** Golden check + both tools produce exactly the planned file + a second plan on the result is empty. */
function check(text: string, p: FixPlan, again: (df: ReturnType<typeof parseDockerfile>) => FindingPlacement[], dockerignore: string | null = null): void {
  const r = applyWithTools(text, dockerignore, p.patch);
  expect(r.patch).toBe(p.dockerfile);
  expect(r.git).toBe(p.dockerfile);
  expect(r.ignorePatch).toBe(p.dockerignore);
  expect(r.ignoreGit).toBe(p.dockerignore);
  const second = plan(p.dockerfile, again, { dockerignore: p.dockerignore });
  expect(second.hunks, 'the fix applied twice changes nothing the second time').toEqual([]);
}

describe('rewrite golden patches', () => {
  it('pip install → --no-cache-dir', () => {
    const text = 'FROM debian\nRUN apt-get update && apt-get install -y python3-pip \\\n    && pip install --break-system-packages six\nCMD ["python3"]\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('pip-cache', 12_300_000), [2])];
    const p = plan(text, place);
    expect(p.patch).toBe(
      [
        '# imgsize fix 1: pip-cache (pip-cache finding): add --no-cache-dir to pip install (Dockerfile:2); predicted savings 12.3 MB uncompressed, 6.2 MB compressed',
        '--- ./Dockerfile',
        '+++ ./Dockerfile',
        '@@ -1,4 +1,4 @@',
        ' FROM debian',
        ' RUN apt-get update && apt-get install -y python3-pip \\',
        '-    && pip install --break-system-packages six',
        '+    && pip install --no-cache-dir --break-system-packages six',
        ' CMD ["python3"]',
        '',
      ].join('\n'),
    );
    check(text, p, place);
  });

  it('apt-get update RUN ends with rm -rf /var/lib/apt/lists/*', () => {
    const text = 'FROM debian\nRUN apt-get update \\\n  && apt-get install -y curl\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('apt-lists', 40_000_000), [2])];
    const p = plan(text, place);
    expect(p.patch.split('\n').slice(1).join('\n')).toBe(
      ['--- ./Dockerfile', '+++ ./Dockerfile', '@@ -1,3 +1,4 @@', ' FROM debian', ' RUN apt-get update \\', '-  && apt-get install -y curl', '+  && apt-get install -y curl \\', '+  && rm -rf /var/lib/apt/lists/*', ''].join('\n'),
    );
    check(text, p, place);
  });

  it('a deletion in a later RUN moves into the RUN that created the files (one hunk)', () => {
    const text = 'FROM debian\nRUN apt-get update && apt-get install -y curl\nENV A=1\nCOPY app /app\nRUN rm -rf /var/lib/apt/lists/*\nCMD ["x"]\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('cleanup-in-later-layer', 40_000_000), [2, 5])];
    const p = plan(text, place);
    expect(p.hunks).toHaveLength(1);
    expect(p.patch.split('\n').slice(1).join('\n')).toBe(
      [
        '--- ./Dockerfile',
        '+++ ./Dockerfile',
        '@@ -1,6 +1,6 @@',
        ' FROM debian',
        '-RUN apt-get update && apt-get install -y curl',
        '+RUN apt-get update && apt-get install -y curl \\',
        '+    && rm -rf /var/lib/apt/lists/*',
        ' ENV A=1',
        ' COPY app /app',
        '-RUN rm -rf /var/lib/apt/lists/*',
        ' CMD ["x"]',
        '',
      ].join('\n'),
    );
    // after the move the later RUN is gone: the finding no longer has two instructions
    check(text, p, (df) => [placeAt(df, fakeFinding('cleanup-in-later-layer', 40_000_000), [2])]);
  });

  it('chown -R / chmod -R in a later RUN → COPY --chown/--chmod; chmod is review under the classic builder', () => {
    const text = 'FROM debian\nCOPY models/ /models/\nRUN chown -R 1000:1000 /models && chmod -R 755 /models\nCMD ["x"]\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('wasted-bytes', 30_000_000), [2, 3])];
    const p = plan(text, place);
    expect(p.patch.split('\n').slice(1).join('\n')).toBe(
      ['--- ./Dockerfile', '+++ ./Dockerfile', '@@ -1,4 +1,3 @@', ' FROM debian', '-COPY models/ /models/', '-RUN chown -R 1000:1000 /models && chmod -R 755 /models', '+COPY --chown=1000:1000 --chmod=755 models/ /models/', ' CMD ["x"]', ''].join('\n'),
    );
    expect(p.hunks[0]!.review).toBe(false);
    check(text, p, (df) => [placeAt(df, fakeFinding('wasted-bytes', 30_000_000), [2])]);
    const classic = plan(text, place, { builder: 'classic' });
    expect(classic.hunks[0]!.review).toBe(true);
    expect(plan(text, place, { builder: 'classic', safeOnly: true }).hunks).toEqual([]);
    // symbolic modes are not understood: nothing is touched
    expect(plan('FROM d\nCOPY m /m\nRUN chmod -R u+x /m\n', (df) => [placeAt(df, fakeFinding('wasted-bytes', 1), [2, 3])]).hunks).toEqual([]);
  });

  it('opencv-python → opencv-python-headless (version pins kept)', () => {
    const text = 'FROM python\nRUN pip install --no-cache-dir numpy opencv-python==4.8.0.76\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('opencv-gui', 60_000_000), [2])];
    const p = plan(text, place);
    expect(p.patch).toContain('+RUN pip install --no-cache-dir numpy opencv-python-headless==4.8.0.76\n');
    check(text, p, place);
  });

  it('conda clean -afy after conda installs', () => {
    const text = 'FROM conda\nRUN conda install -y numpy \\\n && echo done\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('conda-cache', 200_000_000), [2])];
    const p = plan(text, place);
    expect(p.patch).toContain('+ && echo done \\\n+ && conda clean -afy\n');
    check(text, p, place);
    // regression (found by --verify): conda called by its path is cleaned by the same path
    const byPath = plan('FROM d\nRUN /opt/conda/bin/conda install -y numpy\n', (df) => [placeAt(df, fakeFinding('conda-cache', 1e6), [2])]);
    expect(byPath.dockerfile).toBe('FROM d\nRUN /opt/conda/bin/conda install -y numpy \\\n    && /opt/conda/bin/conda clean -afy\n');
    expect(plan('FROM d\nRUN micromamba install -y -n base x\n', (df) => [placeAt(df, fakeFinding('conda-cache', 1e6), [2])]).dockerfile).toContain('&& micromamba clean --all --yes');
  });

  it('.dockerignore entries for VCS dirs and caches a COPY shipped (created, then appended)', () => {
    const text = 'FROM debian\nWORKDIR /app\nCOPY . /app\n';
    const ev = [
      { path: '/app/.git/objects/pack/p.pack', bytes: 9_000_000, layer: 1 },
      { path: '/app/src/__pycache__/m.cpython-311.pyc', bytes: 10, layer: 1 },
    ];
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('vcs', 9_000_010, ev), [3])];
    const p = plan(text, place);
    expect(p.patch.split('\n').slice(1).join('\n')).toBe(['--- /dev/null', '+++ ./.dockerignore', '@@ -0,0 +1,2 @@', '+**/__pycache__', '+.git', ''].join('\n'));
    check(text, p, place);
    const appended = plan(text, place, { dockerignore: 'node_modules' });
    expect(appended.dockerignore).toBe('node_modules\n**/__pycache__\n.git\n');
    check(text, appended, place, 'node_modules');
  });

  it('apt-get install gains --no-install-recommends', () => {
    const text = 'FROM debian\nRUN apt-get update && apt-get install -y curl\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('apt-recommends', 5_000_000), [2])];
    const p = plan(text, place);
    expect(p.patch).toContain('+RUN apt-get update && apt-get install --no-install-recommends -y curl\n');
    check(text, p, place);
  });

  it('review: dropping -dev packages and the CUDA devel base; --safe-only leaves them out', () => {
    const text = 'FROM nvidia/cuda:12.1.0-devel-ubuntu22.04\nRUN apt-get update && apt-get install -y python3 libpython3.11-dev zlib1g-dev\n';
    const pk = [
      { manager: 'dpkg' as const, name: 'libpython3.11-dev', layer: 1, visibleBytes: 5_000_000, files: 10, wastedBytes: 0, compressedBytes: 1_000_000 },
      { manager: 'dpkg' as const, name: 'zlib1g-dev', layer: 1, visibleBytes: 1_000_000, files: 10, wastedBytes: 0, compressedBytes: 200_000 },
    ];
    const place = (df: ReturnType<typeof parseDockerfile>) => [placeAt(df, fakeFinding('cuda-devel', 2e9), [1]), placeAt(df, fakeFinding('dev-files', 6_000_000), [2])];
    const p = plan(text, place, { packages: pk });
    expect(p.hunks.map((h) => [h.family, h.review, h.bytes])).toEqual([
      ['drop-dev-packages', true, 6_000_000],
      ['cuda-runtime-base', true, 2e9],
    ]);
    expect(p.patch).toContain('+FROM nvidia/cuda:12.1.0-runtime-ubuntu22.04\n');
    expect(p.patch).toContain('+RUN apt-get update && apt-get install -y python3\n');
    expect(p.patch.match(/^# imgsize fix \d \[review\]/gm)).toHaveLength(2);
    check(text, p, place);
    expect(plan(text, place, { packages: pk, safeOnly: true }).hunks).toEqual([]);
  });

  it('never touches what it does not understand: exec form, heredoc, trailing comment, other control operators', () => {
    for (const [text, id, lines] of [
      ['FROM d\nRUN ["pip", "install", "x"]\n', 'pip-cache', [2]],
      ['FROM d\nRUN <<EOF\npip install x\nEOF\n', 'pip-cache', [2]],
      ['FROM d\nRUN apt-get update # refresh\n', 'apt-lists', [2]],
      ['FROM d\nRUN make\nRUN rm -rf /x; echo done\n', 'cleanup-in-later-layer', [2, 3]],
    ] as const) {
      expect(plan(text, (df) => [placeAt(df, fakeFinding(id, 1e6), lines)]).hunks, text).toEqual([]);
    }
  });

  it('several hunks on one RUN apply in order with both tools', () => {
    const text = 'FROM debian\nRUN apt-get update && apt-get install -y python3-pip && pip install opencv-python\nCMD ["x"]\n';
    const place = (df: ReturnType<typeof parseDockerfile>) => [
      placeAt(df, fakeFinding('pip-cache', 1e6), [2]),
      placeAt(df, fakeFinding('apt-lists', 2e6), [2]),
      placeAt(df, fakeFinding('opencv-gui', 3e6), [2]),
      placeAt(df, fakeFinding('apt-recommends', 4e6), [2]),
    ];
    const p = plan(text, place);
    expect(p.hunks.map((h) => h.family)).toEqual(['pip-no-cache-dir', 'apt-lists-cleanup', 'opencv-headless', 'apt-no-install-recommends']);
    // summaries name the lines of the original file even after earlier hunks added lines
    const later = plan('FROM d\nRUN apt-get update && apt-get install -y curl\nRUN make\nRUN rm -rf /tmp/x\n', (df) => [placeAt(df, fakeFinding('apt-lists', 1e6), [2]), placeAt(df, fakeFinding('cleanup-in-later-layer', 1e6), [3, 4])]);
    expect(later.hunks.map((h) => h.summary)).toEqual(['remove the apt lists in the RUN that downloads them (Dockerfile:2)', 'move "rm -rf /tmp/x" (Dockerfile:4) into the RUN that created the files (Dockerfile:3)']);
    check(text, p, place);
  });

  it('diffSection handles a missing final newline', () => {
    const s = diffSection('Dockerfile', 'FROM a\nRUN x', 'FROM a\nRUN y\n')!;
    expect(s).toBe(['--- ./Dockerfile', '+++ ./Dockerfile', '@@ -1,2 +1,2 @@', ' FROM a', '-RUN x', '\\ No newline at end of file', '+RUN y', ''].join('\n'));
  });
});

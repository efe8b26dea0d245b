import { describe, expect, it } from 'vitest';
import { makeReport } from '../../../../test/diff/make-report.js';
import { diffReports } from '../../../core/src/diff/diff.js';
import { createStyle } from '../style.js';
import { diffHeadline, formatRelative, renderDiffTerminal } from './diff-terminal.js';

const plain = createStyle(undefined, false);

const naive = makeReport({
  tag: 'naive',
  layers: [
    { diffId: 'sha256:base', bytes: 400_000_000, compressed: 150_000_000, instruction: 'ADD rootfs' },
    { diffId: 'sha256:fat', bytes: 8_000_000_000, compressed: 104_850_000_000 / 100, instruction: 'RUN pip install torch' },
  ],
  files: [
    ['/etc/os', 400_000_000, 400_000_000],
    ['/usr/lib/libtorch.so', 8_000_000_000, 8_000_000_000],
  ],
  compressedExact: true,
  pull: { bandwidth: 1e9 },
});
const optimized = makeReport({
  tag: 'optimized',
  layers: [
    { diffId: 'sha256:base', bytes: 400_000_000, compressed: 150_000_000, instruction: 'ADD rootfs' },
    { diffId: 'sha256:slim', bytes: 780_000_000, compressed: 9_000_000, instruction: 'RUN pip install --no-cache-dir torch' },
  ],
  files: [
    ['/etc/os', 400_000_000, 400_000_000],
    ['/usr/lib/libtorch.so', 780_000_000, 780_000_000],
  ],
  compressedExact: true,
  pull: { bandwidth: 1e9 },
});

describe('renderDiffTerminal', () => {
  it('headline in the spirit of "naive 8.4 GB → 1.18 GB, pull 14 min → 87 s"', () => {
    const d = diffReports(naive, optimized);
    expect(diffHeadline(d)).toBe('8.40 GB → 1.18 GB (-7.22 GB, -86%), compressed 1.20 GB → 159 MB (exact), pull 9.6 s → 1.3 s at 1 Gbps');
  });

  it('renders totals, layers, path changes and unavailable sections', () => {
    const text = renderDiffTerminal(diffReports(naive, optimized), { width: 120, style: plain, top: 10 });
    expect(text).toContain('imgsize diff: naive → optimized');
    expect(text).toMatch(/Shipped in layers\s+8\.40 GB\s+1\.18 GB\s+-7\.22 GB\s+-86%/);
    expect(text).toMatch(/Layers: 1 shared \(400 MB\), 1 removed \(8\.00 GB\), 1 added \(780 MB\)/);
    expect(text).toContain('a host that has naive pulls 9.00 MB compressed for optimized');
    expect(text).toMatch(/-7\.22 GB\s+shrunk\s+8\.00 GB\s+780 MB\s+\/usr\/lib\/libtorch\.so/);
    expect(text).toMatch(/Categories: not available \(neither report has categories\)/);
    expect(text).not.toContain('\u001b[');
  });

  it('a self-diff shows no changes', () => {
    const text = renderDiffTerminal(diffReports(naive, naive), { width: 100, style: plain, top: 10 });
    expect(text).toMatch(/Shipped in layers\s+8\.40 GB\s+8\.40 GB\s+0 B/);
    expect(text).toContain('Layers: 2 shared (8.40 GB), 0 removed (0 B), 0 added (0 B)');
    expect(text).toContain('Path changes (shipped bytes): 0 added, 0 removed, 0 grown, 0 shrunk');
  });

  it('formatRelative', () => {
    expect(formatRelative(100, 14)).toBe('-86%');
    expect(formatRelative(100, 103)).toBe('+3.0%');
    expect(formatRelative(0, 5)).toBe('');
    expect(formatRelative(null, 5)).toBe('');
  });
});

describe('renderDiffTerminal width (issue 11)', () => {
  const long = (tag: string) => {
    const r = makeReport({
      tag: `registry.example.com/team/${tag}:2024-01-01-build-12345`,
      layers: [
        { diffId: `sha256:${'a'.repeat(64)}`, bytes: 400_000_000, compressed: 150_000_000, instruction: '|1 TARGETARCH=amd64 /bin/sh -c apt-get update && apt-get install -y --no-install-recommends python3 python3-pip' },
        { diffId: `sha256:${tag.repeat(64).slice(0, 64)}`, bytes: tag === 'b' ? 780_000_000 : 8_000_000_000, compressed: 9_000_000, instruction: 'RUN pip install torch torchvision --index-url https://download.pytorch.org/whl/cu121' },
      ],
      files: [
        ['/etc/os', 400_000_000, 400_000_000],
        [`/opt/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda_${tag}.so`, tag === 'b' ? 780_000_000 : 8_000_000_000, 1],
      ],
      findings: [{ id: 'pip-cache', bytes: tag === 'b' ? 1 : 1_190_000_000, title: 'pip cache left in the image, a long title that goes on' }],
      packages: [{ manager: 'pip', name: 'nvidia-cudnn-cu12-with-a-long-name', version: '8.9.2.26', bytes: 343_000_000 }],
      compressedExact: true,
      pull: { bandwidth: 1e9 },
    });
    r.summary.files = 1639;
    return r;
  };
  const d = diffReports(long('a'), long('b'));

  it.each([60, 80, 120, 200])('fits %i columns without cutting a number', (w) => {
    const t = renderDiffTerminal(d, { width: w, style: plain, top: 10 });
    expect(Math.max(...t.split('\n').map((l) => [...l].length))).toBeLessThanOrEqual(w);
    for (const n of ['8.40 GB', '1.18 GB', '-7.22 GB', '1,639', '7.22 GB']) expect(t).toContain(n);
    expect(t).not.toMatch(/TARGETARCH|\/bin\/sh -c/);
  });

  it('emits no ANSI when the colour decision is off', () => {
    expect(renderDiffTerminal(d, { width: 120, style: plain, top: 10 })).not.toContain('\u001b');
    expect(renderDiffTerminal(d, { width: 120, style: createStyle(undefined, true), top: 10 })).toContain('\u001b[');
  });
});

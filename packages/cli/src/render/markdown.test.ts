import { describe, expect, it } from 'vitest';
import { makeReport, type ReportSpec } from '../../../../test/diff/make-report.js';
import { diffReports } from '../../../core/src/diff/diff.js';
import { evaluateBudgets } from '../../../core/src/budgets/evaluate.js';
import { validateBudgets } from '../../../core/src/budgets/parse-budgets.js';
import { MARKDOWN_LIMIT_BYTES, mdCode, mdText, renderAnalyzeMarkdown, renderDiffMarkdown } from './markdown.js';

const small: ReportSpec = {
  tag: 'ml:naive',
  layers: [
    { diffId: 'sha256:aaa', bytes: 8_000_000_000, compressed: 3_000_000_000, instruction: 'RUN pip install torch' },
    { diffId: 'sha256:bbb', bytes: 400_000_000, compressed: 100_000_000, instruction: '/bin/sh -c #(nop) COPY a|b /app' },
  ],
  files: [
    ['/usr/lib/libtorch.so', 8_000_000_000, 8_000_000_000],
    ['/root/.cache/pip/x.whl', 400_000_000, 0],
  ],
  categories: [{ id: 'torch', bytes: 8_000_000_000 }, { id: 'pip-cache', bytes: 400_000_000, visible: 0 }],
  packages: [{ manager: 'pip', name: 'torch', version: '2.1', bytes: 8_000_000_000 }],
  findings: [{ id: 'pip-cache', bytes: 400_000_000, title: 'pip cache left in the image' }],
  compressedExact: false,
  pull: { bandwidth: 1e9 },
};

/** A report far too big for a comment: 100k paths, 5k packages, 300 layers, long names. */
function hugeSpec(seed: string): ReportSpec {
  const long = 'x'.repeat(300);
  return {
    tag: `huge:${seed}`,
    layers: Array.from({ length: 300 }, (_, i) => ({ diffId: `sha256:${seed}${i}`, bytes: 1000 + i, compressed: 500, instruction: `RUN ${long} ${i}` })),
    files: Array.from({ length: 100_000 }, (_, i) => [`/opt/${seed}/${i % 100}/${long}/${i}`, i + 1, i + 1] as [string, number, number]),
    categories: Array.from({ length: 200 }, (_, i) => ({ id: `${seed}-cat-${i}`, bytes: i + 1 })),
    packages: Array.from({ length: 5000 }, (_, i) => ({ manager: 'pip' as const, name: `${seed}-pkg-${i}-${long}`, version: `${i}.0`, bytes: i })),
    findings: Array.from({ length: 500 }, (_, i) => ({ id: `${seed}-f-${i}`, bytes: i, title: long })),
  };
}

describe('renderAnalyzeMarkdown', () => {
  it('has a labelled summary table and collapsible sections', () => {
    const md = renderAnalyzeMarkdown(makeReport(small));
    expect(md).toMatch(/^### imgsize: `ml:naive`\n/);
    expect(md).toContain('| Shipped in layers (uncompressed) | 8.40 GB |');
    expect(md).toContain('| Compressed (estimated, gzip -6) | 3.10 GB |');
    expect(md).toContain('<details open><summary>Findings (1)</summary>');
    expect(md).toContain('<details><summary>Layers (2)</summary>');
    expect(md).toContain('`COPY a\\|b /app`');
    expect(md).toMatch(/<sub>imgsize .* decimal units/);
  });

  it('puts budget results up front, failures first', () => {
    const r = makeReport(small);
    const budgets = evaluateBudgets(r, validateBudgets({ maxWastedBytes: '1GB', categories: { 'pip-cache': 0 } }), undefined, { source: 'budgets.json' });
    const md = renderAnalyzeMarkdown(r, { budgets });
    expect(md).toContain('❌ **Budgets FAIL: 1 failed, 1 passed** (`budgets.json`)');
    const fail = md.indexOf('❌ **FAIL** | `categories.pip-cache` | 400 MB \\> 0 B');
    expect(fail).toBeGreaterThan(0);
    expect(fail).toBeLessThan(md.indexOf('✅ pass | `maxWastedBytes`'));
    expect(md.indexOf('Budgets')).toBeLessThan(md.indexOf('<details'));
  });

  it('stays under 64 KB for a huge image, saying how many rows were left out', () => {
    const md = renderAnalyzeMarkdown(makeReport(hugeSpec('a')));
    expect(Buffer.byteLength(md)).toBeLessThan(MARKDOWN_LIMIT_BYTES);
    expect(md).toMatch(/… \d+ more/);
    expect((md.match(/<details/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });

  it('cuts cleanly as a last resort', () => {
    const md = renderAnalyzeMarkdown(makeReport(small), { maxBytes: 900 });
    expect(Buffer.byteLength(md)).toBeLessThan(900);
    expect(md).toContain('output cut to fit');
    expect((md.match(/<details/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });
});

describe('renderDiffMarkdown', () => {
  const after: ReportSpec = {
    tag: 'ml:optimized',
    layers: [{ diffId: 'sha256:ccc', bytes: 1_180_000_000, compressed: 600_000_000, instruction: 'RUN pip install --no-cache-dir torch' }],
    files: [['/usr/lib/libtorch.so', 1_180_000_000, 1_180_000_000]],
    categories: [{ id: 'torch', bytes: 1_180_000_000 }],
    packages: [{ manager: 'pip', name: 'torch', version: '2.2', bytes: 1_180_000_000 }],
    findings: [],
    compressedExact: false,
    pull: { bandwidth: 1e9 },
  };

  it('summarises before/after/delta with labels, details per section', () => {
    const md = renderDiffMarkdown(diffReports(makeReport(small), makeReport(after)));
    expect(md).toMatch(/^### imgsize diff: `ml:naive` → `ml:optimized`\n/);
    expect(md).toContain('**8.40 GB → 1.18 GB** shipped (uncompressed, -7.22 GB, -86%) · **3.10 GB → 600 MB** compressed (estimated) · pull **25 s → 4.8 s** at 1 Gbps');
    expect(md).toContain('| Shipped in layers (uncompressed) | 8.40 GB | 1.18 GB | **-7.22 GB** | -86% |');
    expect(md).toContain('| Compressed (estimated) | 3.10 GB | 600 MB | **-2.50 GB** | -81% |');
    expect(md).toContain('<summary>Layers: 0 shared, 2 removed, 1 added</summary>');
    expect(md).toContain('<summary>Packages: 0 added, 0 removed, 1 version changed</summary>');
    expect(md).toContain('| version-changed | pip | `torch` | 2.1 → 2.2 |');
    expect(md).toContain('- ✅ resolved: pip cache left in the image (400 MB)');
    expect(md).toContain('| `/root/.cache/pip/x.whl` | removed | 400 MB | 0 B | -400 MB |');
  });

  it('says when path changes are unavailable', () => {
    const { files: _f, ...noFiles } = after;
    const md = renderDiffMarkdown(diffReports(makeReport(small), makeReport(noFiles)));
    expect(md).toContain('_Path changes: not available (the after report has no per-path data');
  });

  it('stays under 64 KB for two huge images', () => {
    const md = renderDiffMarkdown(diffReports(makeReport(hugeSpec('a')), makeReport(hugeSpec('b'))));
    expect(Buffer.byteLength(md)).toBeLessThan(MARKDOWN_LIMIT_BYTES);
    expect(md).toMatch(/… \d+ more paths/);
    expect((md.match(/<details/g) ?? []).length).toBe((md.match(/<\/details>/g) ?? []).length);
  });
});

describe('escaping', () => {
  it('escapes Markdown and HTML in text and pipes in code', () => {
    expect(mdText('a|b <script> *x* _y_ [l](u) #1 & ~')).toBe('a\\|b \\<script\\> \\*x\\* \\_y\\_ \\[l\\](u) \\#1 \\& \\~');
    expect(mdCode('/a|b')).toBe('`/a\\|b`');
    expect(mdCode('/we`ird')).toBe('`` /we`ird ``');
    expect(mdCode('/a\nb')).toBe('`/a\\x0ab`');
    expect(mdCode('x'.repeat(200), 10)).toBe(`\`${'x'.repeat(9)}…\``);
  });
});

describe('renderAnalyzeMarkdown findings (issue 11)', () => {
  const r = makeReport(small);
  const fix = 'FROM nvidia/cuda:12.1.1-devel-ubuntu22.04 AS build\nRUN apt-get install -y a \\\n    b\nFROM nvidia/cuda:12.1.1-base-ubuntu22.04\nRUN echo ```';
  r.findings = Array.from({ length: 4 }, (_, i) => ({ ...r.findings![0]!, id: `f${i}`, title: `finding ${i}`, bytes: 1_000_000 * (4 - i), fix }));

  it('shows every fix whole, in a fenced code block longer than any backtick run in it', () => {
    const md = renderAnalyzeMarkdown(r, { top: 2 });
    expect(md).toContain(`**1. finding 0**\n\n\`\`\`\`dockerfile\n${fix}\n\`\`\`\``);
    expect(md).not.toMatch(/\| Fix \|/);
  });

  it('says how many findings --top left out, and their bytes', () => {
    expect(renderAnalyzeMarkdown(r, { top: 2 })).toContain('2 more findings (3.00 MB uncompressed): --top 4 or --json');
    expect(renderAnalyzeMarkdown(r, { top: 4 })).not.toContain('more findings');
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FileList, Report } from '@imgsize/core';
import { CLIENT_SCRIPT } from './client-bundle.generated.js';
import { buildAnalyzeTree, buildDiffTree, embedJson, renderAnalyzeHtml, type HtmlTree } from './index.js';
import type { AnalyzeLeaf, DiffLeaf } from './tree.js';
import { makeReport } from '../../../../../test/diff/make-report.js';

/** The data island of a rendered page, parsed back. */
function dataOf(html: string): { page: string; tree: HtmlTree<AnalyzeLeaf> | null; report: Report } {
  const m = /<script type="application\/json" id="imgsize-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error('no data island');
  return JSON.parse(m[1]!);
}

/** A report with no layers, plus the given per-path rows (the shared hand-built report of test/diff). */
function minimalReport(files: FileList | undefined): Report {
  return { ...makeReport({ ref: 'x.tar', tag: 'x:1', layers: [] }), ...(files && { files }) };
}

/** Sums of a tree's leaves: visible and hidden bytes (analyze trees). */
function treeSums(t: HtmlTree<AnalyzeLeaf>): { visible: number; hidden: number; files: number } {
  let visible = 0;
  let hidden = 0;
  let files = 0;
  for (const n of t.nodes) {
    if (n.length === 2) continue;
    const leaf = n as AnalyzeLeaf;
    for (let i = 1; i < leaf[4].length; i += 2) visible += leaf[4][i]!;
    const stride = leaf[3] === 0 ? 3 : 2;
    for (let i = 1; i < (leaf[5] ?? []).length; i += stride) hidden += leaf[5]![i]!;
    files += leaf[3] || 1;
  }
  return { visible, hidden, files };
}

describe('embedJson: the data island cannot be broken out of', () => {
  const hostile = [
    '</script><script>alert(1)</script>',
    '</SCRIPT >',
    '<!--',
    '<script>',
    ']]>',
    'a&b<c>d',
    '\u2028\u2029',
    '"quotes" and \\backslashes\\',
    '<img src=x onerror=alert(1)>',
  ];
  it('escapes <, > and & and still round-trips through JSON.parse', () => {
    const text = embedJson({ names: hostile });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual({ names: hostile });
  });

  it('a page whose file names and labels are hostile has exactly the two script elements it was built with', () => {
    const files: FileList = { entries: hostile.map((p, i) => [`/x/${p}`, 10 + i, 10 + i, 'other', 0] as const).map((r) => [...r]) as FileList['entries'] };
    const r = minimalReport(files);
    r.image.repoTags = ['</script><script>alert(1)</script>'];
    r.warnings = [{ code: 'W_LAYER_TAR', message: '</script><!--', layer: 0 }];
    const html = renderAnalyzeHtml(r);
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(html).toContain('<title>imgsize: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    const data = dataOf(html);
    expect(data.report.image.repoTags[0]).toBe('</script><script>alert(1)</script>');
  });
});

describe('the page is self-contained', () => {
  const html = renderAnalyzeHtml(minimalReport({ entries: [['/a/b', 5, 5, 'app', 0]] }));

  it('references nothing outside itself (no src/href/url()/@import but fragments and data:)', () => {
    expect(html).not.toMatch(/\ssrc\s*=/i);
    for (const m of html.matchAll(/href\s*=\s*"([^"]*)"/gi)) expect(m[1]).toMatch(/^(#|data:)/);
    for (const m of html.matchAll(/url\(([^)]*)\)/gi)) expect(m[1]).toMatch(/^['"]?(#|data:)/);
    expect(html).not.toMatch(/@import|fetch\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import\(/);
    // The only URL in the page is the SVG namespace name (not a request).
    for (const m of html.matchAll(/https?:\/\/[^\s'"<>)]+/g)) expect(m[0]).toBe('http://www.w3.org/2000/svg');
  });

  it("has a Content-Security-Policy that forbids every fetch and allows only the inlined script's hash", () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toBeDefined();
    const hash = createHash('sha256').update(CLIENT_SCRIPT).digest('base64');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain(`<script>${CLIENT_SCRIPT}</script>`);
  });

  it('the client script is the bundle of client/*.ts: one IIFE that parses, with no closing tag or comment opener inside', () => {
    expect(CLIENT_SCRIPT).not.toMatch(/<\/script|<!--/i);
    expect(CLIENT_SCRIPT).not.toMatch(/^\s*(import|export)\b/m);
    expect(() => new Function(CLIENT_SCRIPT)).not.toThrow();
    // The shared escaping and instruction functions (format.ts) are bundled in, not copied.
    expect(CLIENT_SCRIPT).toContain('#\\(nop\\)');
    expect(CLIENT_SCRIPT).toMatch(/\\u202a-\\u202e|\u202a-\u202e/);
  });
});

describe('buildAnalyzeTree', () => {
  it('keeps every byte: leaves sum to the rows, per layer and hidden', () => {
    const files: FileList = {
      entries: [
        ['/usr/lib/a.so', 100, 100, 'os-base', 0],
        ['/usr/lib/b.so', 300, 200, 'os-base', 2, [[1, 100, 2]]],
        ['/var/cache/x', 50, 0, 'apt-cache', null, [[1, 50, 3]]],
        ['/app/main.py', 7, 7, 'app', 3],
      ],
    };
    const t = buildAnalyzeTree(files);
    expect(t.threshold).toBe(0);
    expect(t.hasLayers).toBe(true);
    expect(treeSums(t)).toEqual({ visible: 307, hidden: 150, files: 4 });
    // Preorder, root first, every parent before its children.
    expect(t.nodes[0]).toEqual([-1, '']);
    t.nodes.forEach((n, i) => expect(n[0]).toBeLessThan(i));
    const b = t.nodes.find((n) => n[1] === 'b.so') as AnalyzeLeaf;
    expect(b.slice(3)).toEqual([0, [2, 200], [1, 100, 2]]);
    expect(t.cats[b[2]]).toBe('os-base');
  });

  it('reads old 3-column rows (no category, no layers)', () => {
    const t = buildAnalyzeTree({ entries: [['/a', 10, 4], ['/b/c', 6, 6]] });
    expect(t.hasLayers).toBe(false);
    expect(t.cats).toEqual(['']);
    expect(treeSums(t)).toEqual({ visible: 10, hidden: 6, files: 2 });
  });

  it('groups small files and folders under the caps, keeps the sums, and names the threshold', () => {
    const entries: FileList['entries'] = [];
    for (let d = 0; d < 300; d++) for (let f = 0; f < 100; f++) entries.push([`/data/d${d}/f${f}`, 1000 + d * 100 + f, 1000 + d * 100 + f, f % 2 ? 'docs' : 'other', d % 3]);
    entries.push(['/big/model.bin', 5_000_000, 5_000_000, 'model-weights', 1]);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const total = entries.reduce((s, e) => s + e[2], 0);
    const t = buildAnalyzeTree({ entries }, { maxFiles: 500, maxDirs: 50 });
    expect(t.threshold).toBeGreaterThan(0);
    const leaves = t.nodes.filter((n) => n.length > 2) as AnalyzeLeaf[];
    const singles = leaves.filter((l) => l[3] === 0);
    expect(singles.length).toBeLessThanOrEqual(500);
    expect(t.nodes.filter((n) => n.length === 2).length).toBeLessThanOrEqual(51);
    expect(singles.every((l) => l[4][1]! > t.threshold)).toBe(true);
    expect(treeSums(t)).toEqual({ visible: total, hidden: 0, files: entries.length });
    expect(t.shownFiles + t.groupedFiles).toBe(entries.length);
    // Groups keep the per-layer split, so the layer filter still adds up.
    const perLayer = [0, 0, 0];
    for (const l of leaves) for (let i = 0; i < l[4].length; i += 2) perLayer[l[4][i]!]! += l[4][i + 1]!;
    const expected = [0, 0, 0];
    for (const e of entries) expected[e[4] as number]! += e[2];
    expect(perLayer).toEqual(expected);
  });

  // Rendering time is a benchmark figure, not a unit-test assertion (noisy shared machines).
  it('a page for 400,000 files stays under 3 MB and keeps every byte in its tree', () => {
    const entries: FileList['entries'] = [];
    let x = 12345;
    const rnd = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 400_000; i++) {
      const size = Math.floor(rnd() ** 6 * 50_000_000);
      entries.push([`/usr/lib/pkg${i % 997}/sub${i % 13}/file-${i}.so`, size, size, i % 5 ? 'os-base' : 'ml-libs', i % 9]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const html = renderAnalyzeHtml(minimalReport({ entries }));
    expect(Buffer.byteLength(html)).toBeLessThan(3_000_000);
    const t = dataOf(html).tree!;
    expect(treeSums(t).visible).toBe(entries.reduce((s, e) => s + e[2], 0));
    expect(t.threshold).toBeGreaterThan(0);
  });
});

describe('buildDiffTree', () => {
  it('holds every changed path once: grew − shrank is the change of shipped bytes', () => {
    const before: FileList = { entries: [['/a', 10, 10, 'app', 0], ['/b', 5, 5, 'app', 0], ['/same', 3, 3, 'app', 0], ['/old', 8, 0]] };
    const after: FileList = { entries: [['/a', 4, 4, 'app', 0], ['/b', 9, 9, 'docs', 1], ['/same', 3, 3, 'app', 0], ['/new/x', 20, 20, 'other', 1]] };
    const t = buildDiffTree(before, after);
    const leaves = t.nodes.filter((n) => n.length > 2) as DiffLeaf[];
    expect(leaves.map((l) => l[1]).sort()).toEqual(['a', 'b', 'old', 'x']);
    const grew = leaves.reduce((s, l) => s + l[4], 0);
    const shrank = leaves.reduce((s, l) => s + l[5], 0);
    expect([grew, shrank]).toEqual([24, 14]);
    const b = leaves.find((l) => l[1] === 'b')!;
    expect(t.cats[b[2]]).toBe('docs');
    expect(t.cats[leaves.find((l) => l[1] === 'old')![2]]).toBe('');
  });
});

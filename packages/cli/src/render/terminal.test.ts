import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../../test/helpers/cli.js';
import type { Finding, Report } from '@imgsize/core';
import { makeReport } from '../../../../test/diff/make-report.js';
import { cleanInstruction, safeText } from '../format.js';
import { createStyle } from '../style.js';
import { renderAnalyzeMarkdown } from './markdown.js';
import { codeBlock, renderAnalyzeTerminal } from './terminal.js';

const style = createStyle(undefined, false);
const WIDTHS = [60, 80, 120, 200] as const;
const lines = (t: string) => t.split('\n');
const widest = (t: string) => Math.max(...lines(t).map((l) => [...l].length));

const FIX_CUDA = 'FROM nvidia/cuda:12.1.1-devel-ubuntu22.04 AS build\n# ... build wheels / extensions here ...\nFROM nvidia/cuda:12.1.1-base-ubuntu22.04\nCOPY --from=build /opt/venv /opt/venv';
const FIX_APT = 'RUN apt-get update && apt-get install -y build-essential python3.11 python3.11-venv python3.11-dev git \\\n    libgl1 libglib2.0-0 \\\n && rm -rf /var/lib/apt/lists/*';

function finding(i: number, over: Partial<Finding> = {}): Finding {
  return {
    id: `rule-${i}`,
    title: `Finding number ${i} with a title long enough to need wrapping on a narrow terminal`,
    severity: i === 0 ? 'high' : 'medium',
    confidence: 'likely',
    bytes: 1_000_000 * (20 - i),
    compressedBytes: 400_000 * (20 - i),
    pullSeconds: 1.5,
    layers: [1, 2],
    instruction: 'RUN |2 TARGETARCH=amd64 NV_CUDA=12.1 /bin/sh -c apt-get update && apt-get install -y --no-install-recommends cuda-cudart-dev-12-1 # buildkit',
    evidence: [{ path: `/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcublasLt_static_${i}.a`, bytes: 331_000, layer: 2 }],
    fix: i === 0 ? FIX_CUDA : i === 1 ? FIX_APT : `# fix ${i}\nRUN true`,
    countedInSavings: true,
    ...over,
  };
}

/** A report with every section: BuildKit instructions, long paths, many findings. */
function fullReport(): Report {
  const r = makeReport({
    tag: 'acme/detector:naive',
    layers: [
      { diffId: `sha256:${'a'.repeat(64)}`, bytes: 53_700, compressed: 29_200, instruction: '/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / ' },
      { diffId: `sha256:${'b'.repeat(64)}`, bytes: 508_000_123, compressed: 184_000_456, instruction: 'RUN |1 TARGETARCH=amd64 /bin/sh -c apt-get update && apt-get install -y --no-install-recommends gnupg2 curl ca-certificates # buildkit' },
      { diffId: `sha256:${'c'.repeat(64)}`, bytes: 1_040_000_000, compressed: 381_000_000, instruction: '|2 A=1 B= /bin/sh -c pip install torch==2.2.0 torchvision==0.17.0 opencv-python==4.9.0.80 numpy==1.26.4' },
    ],
    categories: [{ id: 'cuda-libraries-with-a-long-name', bytes: 1_000_000_000 }, { id: 'pip-cache', bytes: 500_000_000, visible: 0 }],
    packages: [{ manager: 'dpkg', name: 'libcublas-dev-12-1-with-a-much-longer-name', version: '12.1.3.1-1+cuda12.1.ubuntu22.04', bytes: 435_000_000 }],
    compressedExact: false,
    pull: { bandwidth: 1e9 },
  });
  r.findings = Array.from({ length: 15 }, (_, i) => finding(i));
  r.summary.files = 1639;
  r.summary.entries = 2630;
  r.directories = [{ path: '/opt/venv/lib/python3.11/site-packages/torch/lib', visibleBytes: 1_670_000_000, files: 544, depth: 8 }];
  r.waste = { ...r.waste, hiddenFiles: 1, topPaths: [{ path: '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', bytes: 25_100_000, layer: 1, hiddenBy: 2, reason: 'deleted' }] };
  r.warnings = [{ code: 'W_LAYER_TAR', layer: 2, message: 'a warning long enough to be cut at every width we test, because it goes on and on and on and on and on' }];
  return r;
}

describe('renderAnalyzeTerminal (issue 11, terminal and Markdown)', () => {
  const r = fullReport();

  it('shows every fix whole, as a code block (was cut to its first line: "FROM …-devel AS build")', () => {
    const t = renderAnalyzeTerminal(r, { width: 200, style, top: 10 });
    for (const l of FIX_CUDA.split('\n')) expect(t).toContain(`           ${l}`);
    for (const l of FIX_APT.split('\n')) expect(t).toContain(`           ${l}`);
    expect(t).not.toMatch(/fix: FROM/);
  });

  it('says how many findings --top left out, and their bytes', () => {
    const t = renderAnalyzeTerminal(r, { width: 120, style, top: 10 });
    const rest = r.findings!.slice(10).reduce((s, f) => s + f.bytes, 0);
    expect(rest).toBe(40_000_000);
    expect(t).toContain('  5 more findings (40.0 MB uncompressed): --top 15 or --json');
    expect(renderAnalyzeTerminal(r, { width: 120, style, top: 15 })).not.toMatch(/more findings/);
  });

  it.each(WIDTHS)('fits %i columns without cutting a number', (w) => {
    const t = renderAnalyzeTerminal(r, { width: w, style, top: 10 });
    expect(widest(t)).toBeLessThanOrEqual(w);
    for (const n of ['53.7 kB', '508 MB', '1.04 GB', '29.2 kB~', '184 MB~', '381 MB~', '1,639', '2,630', '20.0 MB', '8.00 MB', '1.67 GB', '25.1 MB', '435 MB']) expect(t).toContain(n);
    // Every line of the fixes is there, whole or continued Dockerfile-style.
    const joined = t.replace(/ \\\n {11}\s*/g, ' ').replace(/\n {11}# /g, ' ');
    for (const l of FIX_CUDA.split('\n')) expect(joined).toContain(l.replace(/^# /, ''));
  });

  it('drops the bar and digest columns before squeezing the instruction when narrow', () => {
    const wide = renderAnalyzeTerminal(r, { width: 200, style, top: 10 });
    const narrow = renderAnalyzeTerminal(r, { width: 60, style, top: 10 });
    expect(wide).toContain('aaaaaaaaaaaa');
    expect(wide).toContain('█');
    expect(narrow).not.toContain('aaaaaaaaaaaa');
    expect(narrow).not.toContain('█');
    expect(narrow).toMatch(/^ ?0 +53\.7 kB +29\.2 kB~ .*ADD file:/m);
  });

  it("strips BuildKit's |N ARG=… /bin/sh -c and #(nop) from the instruction column (shared with the HTML page)", () => {
    const t = renderAnalyzeTerminal(r, { width: 200, style, top: 10 });
    expect(t).toContain('RUN apt-get update && apt-get install -y --no-install-recommends gnupg2');
    expect(t).toContain('RUN pip install torch==2.2.0');
    expect(t).not.toMatch(/TARGETARCH|\/bin\/sh -c|#\(nop\)|# buildkit/);
    expect(cleanInstruction('RUN |2 A=1 B= /bin/sh -c make')).toBe('RUN make');
    expect(cleanInstruction('/bin/sh -c #(nop)  CMD ["python"]')).toBe('CMD ["python"]');
    expect(cleanInstruction('/bin/bash -c make # buildkit')).toBe('RUN make');
  });

  it('labels the one file count (summary.files) the same way as the Markdown and HTML', () => {
    const t = renderAnalyzeTerminal(r, { width: 120, style, top: 10 });
    expect(t).toMatch(/Files +1,639 shipped in layers \(each copy counted\), 2,630 entries/);
    expect(renderAnalyzeMarkdown(r)).toContain('| Files | 1,639 shipped in layers (each copy counted) |');
  });

  it('emits no ANSI when the colour decision is off, and colours when it is on', () => {
    const off = renderAnalyzeTerminal(r, { width: 120, style: createStyle(undefined, false), top: 10 });
    const on = renderAnalyzeTerminal(r, { width: 120, style: createStyle(undefined, true), top: 10 });
    expect(off).not.toContain('\u001b');
    expect(on).toContain('\u001b[1m');
    // Colour never changes the layout.
    expect(on.replace(/\u001b\[[0-9;]*m/g, '')).toBe(off);
  });
});

describe('bidi controls and ESC are neutralised (issue 16 item 2)', () => {
  const name = 'opt/rtl\u202egpj.exe';
  const r = fullReport();
  r.image.repoTags = ['evil\u001b[2J\u2067tag:1'];
  r.findings![0]!.evidence = [{ path: name, bytes: 331_000, layer: 2 }];
  r.waste.topPaths[0]!.path = name;
  const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

  it('safeText escapes every bidi control and C0/C1 control', () => {
    for (const c of ['\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(safeText(`a${c}b`)).toBe(`a\\u${c.charCodeAt(0).toString(16)}b`);
    }
    expect(safeText('a\u001bb\u009bc')).toBe('a\\x1bb\\x9bc');
    expect(safeText('Ünïcödé → ok')).toBe('Ünïcödé → ok');
  });

  it('the terminal shows opt/rtl\\u202egpj.exe, never the reordered name', () => {
    const t = renderAnalyzeTerminal(r, { width: 200, style, top: 10 });
    expect(t).not.toMatch(BIDI);
    expect(t).not.toContain('\u001b');
    expect(t).toContain('opt/rtl\\u202egpj.exe');
    expect(t).toContain('imgsize: evil\\x1b[2J\\u2067tag:1');
  });

  it('Markdown too', () => {
    const md = renderAnalyzeMarkdown(r);
    expect(md).not.toMatch(BIDI);
    expect(md).not.toContain('\u001b');
    expect(md).toContain('rtl\\u202egpj.exe');
  });

  it('codeBlock escapes inside fixes too', () => {
    expect(codeBlock('RUN rm x\u202e', 80)).toEqual(['RUN rm x\\u202e']);
  });
});

describe('metadata-only reports', () => {
  const full = makeReport({ tag: 'app:1', layers: [{ diffId: `sha256:${'a'.repeat(64)}`, bytes: 1000, compressed: 400, instruction: 'RUN make' }], compressedExact: true, pull: { bandwidth: 1e9 } });
  const meta = { ...full, image: { ...full.image, source: { ...full.image.source, kind: 'registry' as const, format: 'registry' as const, metadataOnly: true } } };

  it('the terminal shows compressed sizes and instructions, never file-level zeros', () => {
    const t = renderAnalyzeTerminal(meta, { width: 100, style, top: 10 });
    expect(t).toMatch(/metadata only: layer contents were not read/);
    expect(t).not.toMatch(/Shipped in layers|Visible in final filesystem|dive efficiency|Wasted/);
    expect(renderAnalyzeTerminal(full, { width: 100, style, top: 10 })).toMatch(/Shipped in layers/);
  });

  it.each(WIDTHS)('fits %i columns', (w) => {
    expect(widest(renderAnalyzeTerminal(meta, { width: w, style, top: 10 }))).toBeLessThanOrEqual(w);
  });

  it('markdown says so too', () => {
    const md = renderAnalyzeMarkdown(meta);
    expect(md).toMatch(/Metadata only: layer contents were not read/);
    expect(md).not.toMatch(/wasted/);
  });
});

describe('the CLI honours COLUMNS (issue 11: at 120 columns 10 lines overflowed to 148)', () => {
  const NAIVE = fileURLToPath(new URL('../../../../fixtures/images/examples/naive-ml.tar.gz', import.meta.url));
  const saved = process.env.COLUMNS;
  afterEach(() => {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  });

  it.each([60, 80, 120, 200])('analyze of the bundled example at COLUMNS=%i', async (w) => {
    process.env.COLUMNS = String(w);
    const r = await runCliInProcess(['analyze', NAIVE, '--bandwidth', '0.5Mbps']);
    expect(r.code).toBe(0);
    expect(widest(r.stdout)).toBeLessThanOrEqual(w);
    expect(r.stdout).not.toContain('\u001b');
    // Whole numbers and whole fixes, at every width.
    expect(r.stdout).toMatch(/Shipped in layers +5\.20 MB/);
    expect(r.stdout).toContain('RUN pip install --no-cache-dir');
    expect(r.stdout).toMatch(/\d+ more findings? \([\d.]+ [kMG]?B uncompressed\): --top \d+ or --json/);
  });
});

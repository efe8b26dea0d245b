/** The analyze page: summary cards, treemap, layers, findings (fixes whole), categories, packages. */
import type { CategoryReport, ColdStartReport, DirectoryReport, Finding, LayerReport, PackageReport } from '@imgsize/core';
import type { AnalyzePageData } from './data.js';
import { h } from './dom.js';
import { cleanInstruction, clip, fmtBandwidth, fmtBytes, fmtCount, fmtPct, fmtSeconds } from './format.js';
import { treemapSection } from './treemap.js';
import { gpuSection } from './gpu-section.js';
import { card, catBar, dataTable, footer, header, root, section, styleOf, swatch, warnings } from './ui.js';

/** "1,639 shipped in layers (each copy counted)": the one file count, labelled as in the terminal and Markdown. */
export function filesLabel(files: number): string {
  return `${fmtCount(files)} shipped in layers (each copy counted)`;
}

declare global {
  interface Window {
    imgsizeTreemap?: unknown;
  }
}

export function analyzePage(data: AnalyzePageData): void {
  const r = data.report;
  const sm = r.summary;
  const name = r.image.repoTags[0] ?? r.image.ref;
  document.title = `imgsize: ${name}`;
  const toc: Array<[string, string]> = [['summary', 'Summary'], ['treemap', 'Treemap'], ['layers', 'Layers'], ['findings', 'Findings'], ['categories', 'Categories'], ['packages', 'Packages']];
  if (r.gpu) toc.splice(5, 0, ['gpu', 'GPU kernels']);
  header(
    h('h1', { text: name }),
    [
      ['Platform', `${r.image.os}/${r.image.architecture}${r.image.variant ? `/${r.image.variant}` : ''}`],
      ['Source', r.image.source.format],
      r.image.osRelease ? ['OS', r.image.osRelease.prettyName ?? `${r.image.osRelease.id}${r.image.osRelease.versionId ? ` ${r.image.osRelease.versionId}` : ''}`] : null,
      r.baseImage
        ? ['Base image', `${r.baseImage.name ? `${r.baseImage.name}: ` : ''}${r.baseImage.layers} layer${r.baseImage.layers === 1 ? '' : 's'}${r.baseImage.guessed ? ' (first layer, a guess)' : ''}`]
        : null,
      r.image.created ? ['Created', r.image.created] : null,
      r.image.configDigest ? ['Config', r.image.configDigest.replace(/^sha256:/, '').slice(0, 12)] : null,
      ['Layers', String(sm.layers)],
      ['Files', filesLabel(sm.files)],
    ],
    toc,
  );

  const pull = r.pull;
  root().append(
    h(
      'div',
      { class: 'cards', id: 'summary', role: 'region', 'aria-label': 'Summary' },
      card({ label: 'Shipped', kind: 'uncompressed', value: fmtBytes(sm.contentBytes), detail: 'sum of all layers' }),
      card({
        label: 'Compressed',
        kind: 'compressed',
        value: sm.compressedBytes === undefined ? '?' : fmtBytes(sm.compressedBytes),
        detail: sm.compressedBytes === undefined ? 'unknown' : sm.compressedBytesExact ? 'exact layer blob sizes' : 'estimated (gzip -6)',
      }),
      card({ label: 'Visible', kind: 'uncompressed', value: fmtBytes(sm.visibleBytes), detail: 'final filesystem' }),
      card({
        label: 'Wasted',
        kind: 'uncompressed',
        tone: sm.wastedBytes > 0 ? 'bad' : '',
        value: fmtBytes(sm.wastedBytes),
        small: sm.contentBytes ? fmtPct(sm.wastedBytes / sm.contentBytes) : '',
        detail: `overwritten ${fmtBytes(sm.overwrittenBytes)}, deleted ${fmtBytes(sm.deletedBytes)}`,
      }),
      r.coldStart
        ? card({ label: 'Est. cold start', kind: 'compressed', value: fmtSeconds(r.coldStart.totalSeconds), detail: coldStartDetail(r.coldStart) })
        : null,
      card({
        label: 'Est. pull time (fetch only)',
        kind: 'compressed',
        value: pull ? fmtSeconds(pull.seconds) : sm.pullSeconds !== undefined ? fmtSeconds(sm.pullSeconds) : '?',
        detail: pull ? `at ${fmtBandwidth(pull.bandwidthBitsPerSecond)}; after fixes ${fmtSeconds(pull.afterFixesSeconds)}` : '',
      }),
      card({
        label: 'Potential savings',
        kind: 'uncompressed',
        tone: sm.potentialSavingsBytes ? 'good' : '',
        value: sm.potentialSavingsBytes === undefined ? '?' : fmtBytes(sm.potentialSavingsBytes),
        detail: sm.potentialSavingsCompressedBytes !== undefined ? `${fmtBytes(sm.potentialSavingsCompressedBytes)} compressed \u00b7 ${(r.findings ?? []).length} findings` : '',
      }),
    ),
  );

  // Treemap
  if (data.tree) {
    const hasLayers = data.tree.hasLayers;
    const ts = treemapSection({
      title: 'Where the bytes are',
      sub: 'final filesystem, uncompressed, coloured by category',
      kind: 'analyze',
      tree: data.tree,
      layers: r.layers,
      countNote: `The treemap counts paths with bytes; the image's file count, ${filesLabel(sm.files)}, also counts empty files and every copy of a rewritten path.`,
      status: (api) => {
        const z = api.zoom();
        const st = api.state;
        const where = api.pathOf(z);
        const parts = [h('b', { text: fmtBytes(z.a) }), ' visible (uncompressed)'];
        if (st.wasted) parts.push(' + ', h('b', { text: fmtBytes(z.b) }), ' wasted');
        parts.push(` in ${fmtCount(z.files)} visible files with bytes${where === '/' ? '' : ` under ${where}`}`);
        if (st.layer >= 0) parts.push(' \u2014 only what ', h('b', { text: `layer ${st.layer}` }), ' added');
        return parts;
      },
      emptyText: (st) => (st.layer >= 0 ? `Layer ${st.layer} added nothing ${st.wasted ? '' : 'still visible '}here.` : 'No file bytes here.'),
    });
    const tm = ts.tm;
    const sel = h(
      'select',
      { id: 'tm-layer', disabled: !hasLayers, title: hasLayers ? '' : 'this report\u2019s per-path rows have no layer column' },
      h('option', { value: '-1', text: 'All layers' }),
      r.layers.map((l) => h('option', { value: String(l.index), text: `Layer ${l.index} \u00b7 ${fmtBytes(l.contentBytes)} \u00b7 ${clip(cleanInstruction(l.instruction) || '(no history)', 70)}` })),
    );
    sel.addEventListener('change', () => tm.set({ layer: Number(sel.value) }));
    const chk = h('input', { type: 'checkbox', id: 'tm-wasted' });
    chk.addEventListener('change', () => tm.set({ wasted: chk.checked }));
    ts.toolbar.append(h('label', null, 'Added by ', sel), h('label', null, chk, 'Show wasted bytes in place (shipped, then hidden by a later layer; red hatch)'));
    window.imgsizeTreemap = { api: tm, layerSelect: sel, wastedToggle: chk };
    tm.render(false);
  } else {
    const sec0 = section('treemap', 'Where the bytes are');
    sec0.append(
      h('p', {
        class: 'note',
        text: 'This report has no per-path data, so there is no treemap (run imgsize analyze with --include-files or --html). The biggest directories instead:',
      }),
    );
    sec0.append(
      dataTable<DirectoryReport>(
        [
          { label: 'Directory', cell: (d) => h('code', { text: d.path }) },
          { label: 'Visible (uncompressed)', num: true, cell: (d) => fmtBytes(d.visibleBytes) },
          { label: 'Files', num: true, cell: (d) => fmtCount(d.files) },
        ],
        r.directories ?? [],
      ),
    );
    root().append(sec0);
  }

  // Layers
  const maxL = Math.max(1, ...r.layers.map((l) => l.contentBytes));
  const secL = section('layers', 'Layers', 'base first; sizes uncompressed unless marked compressed');
  secL.append(
    dataTable<LayerReport>(
      [
        { label: '#', num: true, cell: (l) => String(l.index) },
        {
          label: 'Instruction',
          cell: (l) => {
            const t = cleanInstruction(l.instruction);
            return h('div', { class: 'instr clip', title: t, text: t || '(no history)' });
          },
        },
        { label: 'Shipped', num: true, cell: (l) => (l.empty ? 'empty' : fmtBytes(l.contentBytes)) },
        { label: 'By category', cell: (l) => catBar(l.categories ?? {}, l.contentBytes, maxL) },
        { label: 'Compressed', num: true, cell: (l) => (l.compressedBytes === undefined ? '\u2013' : fmtBytes(l.compressedBytes) + (l.compressedBytesExact ? '' : ' est.')) },
        { label: 'Hidden later', num: true, cell: (l) => (l.hiddenBytes > 0 ? h('span', { class: 'delta-bad', text: fmtBytes(l.hiddenBytes) }) : '') },
        { label: 'Files', num: true, cell: (l) => fmtCount(l.files) },
        {
          label: '',
          cell: (l) => {
            if (!data.tree || !data.tree.hasLayers || l.contentBytes === 0) return '';
            return h(
              'button',
              {
                type: 'button',
                class: 'btn',
                'aria-label': `Show what layer ${l.index} added in the treemap`,
                onclick: () => {
                  const T = window.imgsizeTreemap as { layerSelect: HTMLSelectElement; api: { set(p: { layer: number }): void } };
                  T.layerSelect.value = String(l.index);
                  T.api.set({ layer: l.index });
                  document.getElementById('treemap')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
                },
              },
              'Treemap',
            );
          },
        },
      ],
      r.layers,
      { caption: 'Layers' },
    ),
  );
  root().append(secL);

  // Findings
  const F: Finding[] = r.findings ?? [];
  const secF = section(
    'findings',
    'Findings',
    F.length ? `potential savings ${fmtBytes(sm.potentialSavingsBytes ?? 0)} uncompressed${sm.potentialSavingsCompressedBytes === undefined ? '' : `, ${fmtBytes(sm.potentialSavingsCompressedBytes)} compressed`}; each byte counted once` : '',
  );
  if (F.length === 0) secF.append(h('p', { class: 'note', text: r.findings ? 'No findings: nothing obvious to remove.' : 'This report has no findings section.' }));
  F.forEach((f, i) => {
    const box = h('details', { class: 'finding' });
    if (i < 3) box.open = true;
    box.append(
      h(
        'summary',
        null,
        h('span', { class: `pill sev-${f.severity}`, text: f.severity }),
        h('span', { class: 'ft', text: f.title }),
        h('span', { class: 'fs' }, h('b', { text: fmtBytes(f.bytes) }), ` uncompressed \u00b7 ${fmtBytes(f.compressedBytes)} compressed`),
      ),
    );
    const body = h('div', { class: 'fbody' });
    body.append(
      h('div', {
        class: 'saves',
        text: `Saves ${fmtBytes(f.bytes)} uncompressed, ${fmtBytes(f.compressedBytes)} compressed, ~${fmtSeconds(f.pullSeconds)} of pull time \u00b7 confidence: ${f.confidence}${
          f.countedInSavings ? '' : ' \u00b7 not counted in the savings total (informational, or bytes an earlier finding already counts)'
        }`,
      }),
    );
    if (f.dockerfile) {
      const name = f.dockerfile.path.split(/[\\/]/).pop() || f.dockerfile.path;
      body.append(h('div', { class: 'fixhead', text: 'Dockerfile' }), h('div', { class: 'instr dfloc', text: `${name}:${f.dockerfile.line}${f.dockerfile.base ? ' (base image)' : ''}` }));
    }
    if (f.instruction || f.layers.length) {
      body.append(h('div', { class: 'fixhead', text: f.layers.length ? `Introduced by layer ${f.layers.join(', ')}` : 'Introduced by' }));
      if (f.instruction) body.append(h('div', { class: 'instr', text: cleanInstruction(f.instruction) }));
    }
    body.append(h('div', { class: 'fixhead', text: 'Fix' }), h('pre', null, h('code', { text: f.fix })));
    if (f.note) body.append(h('p', { class: 'note', text: f.note }));
    if (f.evidence.length) {
      body.append(
        h('div', { class: 'fixhead', text: 'Evidence (largest paths)' }),
        h('ul', null, f.evidence.map((e) => h('li', null, h('code', { text: e.path }), ` \u2014 ${fmtBytes(e.bytes)} (layer ${e.layer})`))),
      );
    }
    box.append(body);
    secF.append(box);
  });
  root().append(secF);

  // Categories
  if (r.categories && r.categories.length) {
    const secC = section('categories', 'Categories', 'every shipped file has exactly one category');
    const total = Math.max(1, sm.contentBytes);
    secC.append(
      dataTable<CategoryReport>(
        [
          { label: 'Category', value: (c) => c.label, cell: (c) => h('span', { class: 'cat-name', style: { display: 'inline-flex', gap: '8px', alignItems: 'center' } }, swatch(c.id), c.label) },
          { label: 'Shipped', num: true, value: (c) => c.bytes, cell: (c) => fmtBytes(c.bytes) },
          {
            label: 'Share',
            value: (c) => c.bytes,
            cell: (c) => h('div', { class: 'bar share', title: fmtPct(c.bytes / total) }, h('span', { style: { width: `${(100 * c.bytes) / total}%`, background: styleOf(c.id).color } })),
          },
          { label: 'Visible', num: true, value: (c) => c.visibleBytes, cell: (c) => fmtBytes(c.visibleBytes) },
          { label: 'Wasted', num: true, value: (c) => c.wastedBytes, cell: (c) => (c.wastedBytes ? fmtBytes(c.wastedBytes) : '') },
          { label: 'Compressed (est.)', num: true, value: (c) => c.compressedBytes, cell: (c) => (c.compressedBytes === undefined ? '\u2013' : fmtBytes(c.compressedBytes)) },
          { label: 'Files', num: true, value: (c) => c.files, cell: (c) => fmtCount(c.files) },
        ],
        r.categories.filter((c) => c.bytes > 0 || c.files > 0),
        { sortable: true, sortCol: 1, caption: 'Categories' },
      ),
    );
    root().append(secC);
  }

  if (r.gpu) root().append(gpuSection(r.gpu));

  // Packages
  const P = r.packages;
  const secP = section(
    'packages',
    'Packages',
    P ? `${fmtCount(P.packages.length)} packages \u00b7 unowned: ${fmtBytes(P.unownedBytes)} in ${fmtCount(P.unownedFiles)} files (visible, uncompressed)` : '',
  );
  if (!P || P.packages.length === 0) secP.append(h('p', { class: 'note', text: P ? 'No package databases (dpkg, pip, conda) found.' : 'This report has no packages section.' }));
  else {
    secP.append(
      dataTable<PackageReport>(
        [
          { label: 'Manager', value: (p) => p.manager, cell: (p) => p.manager },
          { label: 'Package', value: (p) => p.name.toLowerCase(), cell: (p) => h('code', { text: p.name }) },
          { label: 'Version', value: (p) => p.version ?? '', cell: (p) => p.version ?? '' },
          { label: 'Layer', num: true, value: (p) => p.layer, cell: (p) => (p.layer === null ? '\u2013' : String(p.layer)) },
          { label: 'Visible (uncompressed)', num: true, value: (p) => p.visibleBytes, cell: (p) => fmtBytes(p.visibleBytes) },
          { label: 'Compressed (est.)', num: true, value: (p) => p.compressedBytes, cell: (p) => (p.compressedBytes === undefined ? '\u2013' : fmtBytes(p.compressedBytes)) },
          { label: 'Wasted', num: true, value: (p) => p.wastedBytes, cell: (p) => (p.wastedBytes ? fmtBytes(p.wastedBytes) : '') },
          { label: 'Files', num: true, value: (p) => p.files, cell: (p) => fmtCount(p.files) },
        ],
        P.packages,
        { sortable: true, sortCol: 4, limit: 100, scroll: true, caption: 'Packages', filterText: (p) => `${p.manager} ${p.name} ${p.version ?? ''}`, filterPlaceholder: 'package name' },
      ),
    );
  }
  root().append(secP);

  warnings(r.warnings);
  footer(r.tool.version);
}

/** "fetch 67 s · inflate 151 s (bottleneck) · unpack 38 s · docker profile": an estimate's breakdown. */
function coldStartDetail(c: ColdStartReport): string {
  const stages = [
    ['fetch', 'fetch', c.fetchSeconds],
    ['decompress', 'inflate', c.decompressSeconds],
    ['unpack', 'unpack', c.unpackSeconds],
  ] as const;
  return `${stages.map(([k, label, sec]) => `${label} ${fmtSeconds(sec)}${c.bottleneck === k ? ' (bottleneck)' : ''}`).join(' \u00b7 ')} \u00b7 ${c.profile.name} profile`;
}

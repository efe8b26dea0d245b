/** The diff page: before → after cards, categories, what-changed treemap, layers, packages, findings, paths. */
import type { DiffReport, PackageDelta, PathDelta } from '@imgsize/core';
import type { DiffLeaf } from '../tree.js';
import type { DiffPageData } from './data.js';
import { h } from './dom.js';
import { cleanInstruction, fmtBandwidth, fmtBytes, fmtCount, fmtDelta, fmtSeconds, relPct } from './format.js';
import { treemapSection } from './treemap.js';
import { card, dataTable, deltaSpan, footer, hasStyle, header, root, section, styleOf, swatch, warnings } from './ui.js';

interface Metric {
  before: number | null;
  after: number | null;
  delta: number | null;
}

type LayerRow = [change: 'removed' | 'added' | 'shared', layer: DiffReport['layers']['shared'][number]];

export function diffPage(data: DiffPageData): void {
  const d = data.diff;
  const t = d.totals;
  document.title = `imgsize diff: ${d.before.name} \u2192 ${d.after.name}`;
  header(
    h('h1', null, d.before.name, h('span', { class: 'arrow', text: '\u2192' }), d.after.name),
    [
      ['Before', `${d.before.platform}, ${d.before.origin === 'saved-report' ? 'saved report' : 'analysed'}`],
      ['After', `${d.after.platform}, ${d.after.origin === 'saved-report' ? 'saved report' : 'analysed'}`],
    ],
    [['summary', 'Summary'], ['categories', 'Categories'], ['treemap', 'Treemap'], ['layers', 'Layers'], ['packages', 'Packages'], ['findings', 'Findings'], ['paths', 'Paths']],
    'imgsize diff',
  );

  function dcard(label: string, kind: 'compressed' | 'uncompressed', m: Metric, fmt: (n: number) => string, detail?: string) {
    const has = m.before !== null && m.after !== null && m.delta !== null;
    return card({
      label,
      kind,
      tone: has && m.delta! < 0 ? 'good' : has && m.delta! > 0 ? 'bad' : '',
      value: has ? (m.delta! > 0 ? '+' : '') + fmt(m.delta!) : '?',
      small: has ? relPct(m.before, m.after) : '',
      detail: has ? `${fmt(m.before!)} \u2192 ${fmt(m.after!)}${detail ? ` \u00b7 ${detail}` : ''}` : 'not known for both sides',
    });
  }
  const c = t.compressedBytes;
  root().append(
    h(
      'div',
      { class: 'cards', id: 'summary', role: 'region', 'aria-label': 'Summary' },
      dcard('Shipped', 'uncompressed', t.contentBytes, fmtBytes),
      dcard('Compressed', 'compressed', c, fmtBytes, c.beforeExact && c.afterExact ? 'exact' : 'estimated'),
      dcard('Visible', 'uncompressed', t.visibleBytes, fmtBytes),
      dcard('Wasted', 'uncompressed', t.wastedBytes, fmtBytes),
      dcard('Est. pull time', 'compressed', t.pullSeconds, fmtSeconds, `at ${fmtBandwidth(t.bandwidthBitsPerSecond)}`),
      card({
        label: 'New layers to pull',
        kind: 'compressed',
        value: d.layers.addedCompressedBytes === null ? '?' : fmtBytes(d.layers.addedCompressedBytes),
        detail: `${d.layers.added.length} added, ${d.layers.shared.length} shared, ${d.layers.removed.length} removed`,
      }),
    ),
  );

  // Categories before/after
  const secC = section('categories', 'Categories, before and after', 'shipped, uncompressed; grey bar = before, coloured bar = after');
  if (!d.categories.available) secC.append(h('p', { class: 'note', text: `Not available: ${d.categories.reason}` }));
  else {
    const ch = d.categories.changes.filter((x) => x.before > 0 || x.after > 0);
    const max = Math.max(1, ...ch.map((x) => Math.max(x.before, x.after)));
    const grid = h('div', { class: 'cat-rows', role: 'list' });
    for (const x of ch) {
      const st = styleOf(x.id);
      const label = (hasStyle(x.id) && x.label) || x.label;
      grid.append(
        h('div', { class: 'name', role: 'listitem' }, swatch(x.id), h('span', { text: label })),
        h(
          'div',
          { class: 'bars', role: 'img', 'aria-label': `${label}: before ${fmtBytes(x.before)}, after ${fmtBytes(x.after)}` },
          h('div', { class: 'b before', style: { width: `${(100 * x.before) / max}%` }, title: `before ${fmtBytes(x.before)}` }),
          h('div', { class: 'b', style: { width: `${(100 * x.after) / max}%`, background: st.color }, title: `after ${fmtBytes(x.after)}` }),
        ),
        h('div', { class: 'nums' }, `${fmtBytes(x.before)} \u2192 ${fmtBytes(x.after)} `, deltaSpan(x.delta, `(${fmtDelta(x.delta)})`)),
      );
    }
    secC.append(grid);
  }
  root().append(secC);

  // Treemap of what grew (or shrank)
  if (data.tree) {
    let grew = 0;
    let shrank = 0;
    for (const n of data.tree.nodes) {
      if (n.length > 2) {
        const leaf = n as DiffLeaf;
        grew += leaf[4];
        shrank += leaf[5];
      }
    }
    const paths = d.paths;
    const ts = treemapSection({
      title: 'What changed, by path',
      sub: 'shipped bytes, uncompressed, coloured by category',
      kind: 'diff',
      tree: data.tree,
      note:
        data.treeSource === 'top'
          ? `Only the ${fmtCount(paths.available ? paths.top.length : 0)} largest path changes are in the diff report (${fmtCount(paths.available ? paths.omitted : 0)} more not shown); pass both analyze reports for the full picture.`
          : '',
      status: (api) => {
        const z = api.zoom();
        return [
          api.state.mode === 'grew' ? 'Grew by ' : 'Shrank by ',
          h('b', { text: fmtBytes(z.a) }),
          ` (shipped, uncompressed) in ${fmtCount(z.files)} paths${api.pathOf(z) === '/' ? '' : ` under ${api.pathOf(z)}`}`,
        ];
      },
      emptyText: (st) => (st.mode === 'grew' ? 'Nothing grew here.' : 'Nothing shrank here.'),
    });
    const mode = grew > 0 || shrank === 0 ? 'grew' : 'shrank';
    const seg = h('div', { class: 'seg', role: 'radiogroup', 'aria-label': 'Which changes' });
    for (const m of [
      ['grew', `What grew (${fmtBytes(grew)})`],
      ['shrank', `What shrank (${fmtBytes(shrank)})`],
    ] as const) {
      const inp = h('input', { type: 'radio', name: 'tm-mode', value: m[0], id: `tm-mode-${m[0]}` });
      inp.checked = m[0] === mode;
      inp.addEventListener('change', () => {
        if (inp.checked) ts.tm.set({ mode: m[0] });
      });
      seg.append(h('label', null, inp, m[1]));
    }
    ts.toolbar.append(seg);
    ts.tm.state.mode = mode;
    window.imgsizeTreemap = { api: ts.tm };
    ts.tm.render(false);
  } else {
    const s0 = section('treemap', 'What changed, by path');
    s0.append(h('p', { class: 'note', text: d.paths.available ? 'No path changed.' : `Not available: ${d.paths.reason}` }));
    root().append(s0);
  }

  // Layers
  const L = d.layers;
  const secL = section(
    'layers',
    'Layers',
    `${L.shared.length} shared (${fmtBytes(L.sharedBytes)}), ${L.removed.length} removed (${fmtBytes(L.removedBytes)}), ${L.added.length} added (${fmtBytes(L.addedBytes)}); uncompressed unless marked`,
  );
  const rows: LayerRow[] = [...L.removed.map((l): LayerRow => ['removed', l]), ...L.added.map((l): LayerRow => ['added', l]), ...L.shared.map((l): LayerRow => ['shared', l])];
  secL.append(
    dataTable<LayerRow>(
      [
        { label: 'Change', cell: (x) => h('span', { class: x[0] === 'added' ? 'chg-added' : x[0] === 'removed' ? 'chg-removed' : '', text: x[0] }) },
        { label: 'Before #', num: true, cell: (x) => (x[1].beforeIndex === null ? '' : String(x[1].beforeIndex)) },
        { label: 'After #', num: true, cell: (x) => (x[1].afterIndex === null ? '' : String(x[1].afterIndex)) },
        { label: 'Shipped', num: true, cell: (x) => fmtBytes(x[1].contentBytes) },
        { label: 'Compressed', num: true, cell: (x) => (x[1].compressedBytes === null ? '\u2013' : fmtBytes(x[1].compressedBytes) + (x[1].compressedBytesExact ? '' : ' est.')) },
        {
          label: 'Instruction',
          cell: (x) => {
            const s1 = cleanInstruction(x[1].instruction);
            return h('div', { class: 'instr clip', title: s1, text: s1 || '(no history)' });
          },
        },
      ],
      rows,
      { caption: 'Layers' },
    ),
  );
  root().append(secL);

  // Packages
  const secP = section('packages', 'Packages');
  if (!d.packages.available) secP.append(h('p', { class: 'note', text: `Not available: ${d.packages.reason}` }));
  else {
    const k = d.packages.counts;
    secP.append(h('p', { class: 'note', text: `${k.added} added, ${k.removed} removed, ${k.versionChanged} version changed, ${k.unchanged} unchanged (visible bytes, uncompressed)` }));
    secP.append(
      dataTable<PackageDelta>(
        [
          { label: 'Change', value: (p) => p.change, cell: (p) => h('span', { class: p.change === 'added' ? 'chg-added' : p.change === 'removed' ? 'chg-removed' : '', text: p.change }) },
          { label: 'Manager', value: (p) => p.manager, cell: (p) => p.manager },
          { label: 'Package', value: (p) => p.name.toLowerCase(), cell: (p) => h('code', { text: p.name }) },
          {
            label: 'Version',
            value: (p) => p.versionAfter ?? p.versionBefore ?? '',
            cell: (p) => (p.change === 'version-changed' ? `${p.versionBefore ?? '?'} \u2192 ${p.versionAfter ?? '?'}` : (p.versionAfter ?? p.versionBefore ?? '')),
          },
          { label: 'Before', num: true, value: (p) => p.bytesBefore, cell: (p) => fmtBytes(p.bytesBefore) },
          { label: 'After', num: true, value: (p) => p.bytesAfter, cell: (p) => fmtBytes(p.bytesAfter) },
          { label: 'Delta', num: true, value: (p) => p.delta, cell: (p) => deltaSpan(p.delta, fmtDelta(p.delta)) },
        ],
        d.packages.changes,
        { sortable: true, limit: 100, scroll: true, caption: 'Package changes', filterText: (p) => `${p.manager} ${p.name}`, filterPlaceholder: 'package name' },
      ),
    );
  }
  root().append(secP);

  // Findings
  const secF = section('findings', 'Findings');
  if (!d.findings.available) secF.append(h('p', { class: 'note', text: `Not available: ${d.findings.reason}` }));
  else {
    const F = d.findings;
    const list = h('ul', { class: 'findings-diff' });
    for (const f of F.resolved) {
      list.append(h('li', null, h('span', { class: 'pill sev-low', style: { background: 'var(--good-soft)', color: 'var(--good)' }, text: 'resolved' }), ` ${f.title} (${fmtBytes(f.bytes)})`));
    }
    for (const f of F.new) list.append(h('li', null, h('span', { class: 'pill sev-high', text: 'new' }), ` ${f.title} (${fmtBytes(f.bytes)})`));
    for (const f of F.persisting) {
      list.append(h('li', null, h('span', { class: 'pill sev-medium', text: 'still open' }), ` ${f.title} (${fmtBytes(f.bytesBefore)} \u2192 ${fmtBytes(f.bytesAfter)})`));
    }
    secF.append(h('p', { class: 'note', text: `${F.resolved.length} resolved, ${F.new.length} new, ${F.persisting.length} still open` }), list);
  }
  root().append(secF);

  // Paths
  const secPa = section('paths', 'Largest path changes', 'shipped, uncompressed');
  if (!d.paths.available) secPa.append(h('p', { class: 'note', text: `Not available: ${d.paths.reason}` }));
  else {
    const Pk = d.paths.counts;
    secPa.append(
      h('p', {
        class: 'note',
        text: `${Pk.added} added, ${Pk.removed} removed, ${Pk.grown} grown, ${Pk.shrunk} shrunk, ${Pk.unchanged} unchanged${d.paths.omitted ? `; ${d.paths.omitted} smaller changes not listed` : ''}`,
      }),
    );
    secPa.append(
      dataTable<PathDelta>(
        [
          { label: 'Path', value: (p) => p.path, cell: (p) => h('code', { text: p.path }) },
          { label: 'Change', value: (p) => p.change, cell: (p) => p.change },
          { label: 'Before', num: true, value: (p) => p.before, cell: (p) => fmtBytes(p.before) },
          { label: 'After', num: true, value: (p) => p.after, cell: (p) => fmtBytes(p.after) },
          { label: 'Delta', num: true, value: (p) => p.delta, cell: (p) => deltaSpan(p.delta, fmtDelta(p.delta)) },
        ],
        d.paths.top,
        { sortable: true, limit: 50, scroll: true, caption: 'Path changes', filterText: (p) => p.path, filterPlaceholder: 'path' },
      ),
    );
  }
  root().append(secPa);

  warnings(d.warnings);
  footer(d.tool.version);
}

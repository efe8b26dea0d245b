import { describe, expect, it } from 'vitest';
import { makeReport } from '../../../../test/diff/make-report.js';
import { createStyle } from '../style.js';
import { renderAnalyzeMarkdown } from './markdown.js';
import { renderAnalyzeTerminal } from './terminal.js';

const style = createStyle(undefined, false);

describe('metadata-only reports', () => {
  const full = makeReport({ tag: 'app:1', layers: [{ diffId: `sha256:${'a'.repeat(64)}`, bytes: 1000, compressed: 400, instruction: 'RUN make' }], compressedExact: true, pull: { bandwidth: 1e9 } });
  const meta = { ...full, image: { ...full.image, source: { ...full.image.source, kind: 'registry' as const, format: 'registry' as const, metadataOnly: true } } };

  it('the terminal shows compressed sizes and instructions, never file-level zeros', () => {
    const t = renderAnalyzeTerminal(meta, { width: 100, style, top: 10 });
    expect(t).toMatch(/metadata only: layer contents were not read/);
    expect(t).not.toMatch(/Shipped in layers|Visible in final filesystem|dive efficiency|Wasted/);
    expect(renderAnalyzeTerminal(full, { width: 100, style, top: 10 })).toMatch(/Shipped in layers/);
  });

  it('markdown says so too', () => {
    const md = renderAnalyzeMarkdown(meta);
    expect(md).toMatch(/Metadata only: layer contents were not read/);
    expect(md).not.toMatch(/wasted/);
  });
});

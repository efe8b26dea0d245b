/**
 * The HTML report's script (entry point): typed TypeScript, bundled by esbuild into one IIFE and
 * inlined into every page (scripts/build-html-client.mjs writes ../client-bundle.generated.ts).
 * Standard DOM and SVG only, no libraries; every view is built with createElement/textContent.
 */
import { analyzePage } from './analyze-page.js';
import { readPageData } from './data.js';
import { h } from './dom.js';
import { diffPage } from './diff-page.js';
import { initUi } from './ui.js';

const app = document.getElementById('app');
if (!app) throw new Error('the page has no #app element');
try {
  const data = readPageData(document);
  initUi(data.styles ?? {}, app);
  if (data.page === 'diff') diffPage(data);
  else analyzePage(data);
  document.documentElement.setAttribute('data-ready', 'true');
} catch (err) {
  app.append(h('pre', { class: 'note', text: `This report could not be displayed: ${err instanceof Error ? err.message : String(err)}` }));
  throw err;
}

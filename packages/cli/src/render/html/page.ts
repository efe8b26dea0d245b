/**
 * The HTML document around a report: one file with the data (a JSON island), the stylesheet and
 * the script inlined. A Content-Security-Policy allows only the inlined script (by hash) and
 * styles and forbids every fetch, so the page cannot make a network request even by accident.
 */
import { createHash } from 'node:crypto';
import { safeText } from '../../format.js';
import { CLIENT_SCRIPT } from './client-bundle.generated.js';
import { PAGE_CSS } from './styles.js';

/**
 * JSON for a `<script type="application/json">` island: `<`, `>` and `&` as \u escapes, so no
 * value (a hostile file name such as `</script><script>…`) can close the element or open a
 * comment; U+2028/2029 escaped too. JSON.parse reads it back unchanged.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text for HTML element content or a double-quoted attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** SVG fill patterns (ids `pat-<name>`) for categories and for wasted bytes; see palette.ts. */
const PATTERN_DEFS = [
  ['diag', '<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="rgba(0,0,0,.38)" stroke-width="1.2"/>'],
  ['back', '<path d="M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2" stroke="rgba(0,0,0,.38)" stroke-width="1.2"/>'],
  ['dots', '<circle cx="4" cy="4" r="1.4" fill="rgba(0,0,0,.38)"/>'],
  ['hlines', '<path d="M0,4 h8" stroke="rgba(0,0,0,.35)" stroke-width="1.2"/>'],
  ['vlines', '<path d="M4,0 v8" stroke="rgba(0,0,0,.35)" stroke-width="1.2"/>'],
  ['cross', '<path d="M0,8 l8,-8 M0,0 l8,8" stroke="rgba(0,0,0,.35)" stroke-width="1"/>'],
  ['grid', '<path d="M0,4 h8 M4,0 v8" stroke="rgba(0,0,0,.32)" stroke-width="1"/>'],
  ['waste', '<path d="M0,8 l8,-8 M0,0 l8,8 M-1,1 l2,-2 M7,9 l2,-2 M-1,7 l2,2 M7,-1 l2,2" stroke="#c0392b" stroke-width="1.3"/>'],
] as const;

function patternDefs(): string {
  const defs = PATTERN_DEFS.map(([id, body]) => `<pattern id="pat-${id}" patternUnits="userSpaceOnUse" width="8" height="8">${body}</pattern>`).join('');
  // Not display:none: Firefox does not paint patterns defined inside an undisplayed <svg>.
  return `<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>${defs}</defs></svg>`;
}

/**
 * The complete document: `title` (plain text, control and bidi characters escaped like every
 * other name; issue 16), `data` (embedded as JSON), the CSS and the bundled script (./client/).
 */
export function htmlDocument(title: string, data: unknown): string {
  const scriptHash = createHash('sha256').update(CLIENT_SCRIPT, 'utf8').digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // The policy is a constant plus a base64 hash: no double quote can occur in it.
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="generator" content="imgsize">',
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(safeText(title))}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    patternDefs(),
    '<main class="wrap" id="app"><noscript><p>This report needs JavaScript to draw its views; the data is in the <code>imgsize-data</code> script element of this file.</p></noscript></main>',
    `<script type="application/json" id="imgsize-data">${embedJson(data)}</script>`,
    `<script>${CLIENT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * The page's data: the JSON island the document embeds (see ../page.ts), read once and made safe
 * to display. Every string in it goes through the shared `safeText` (control and bidi characters
 * escaped, issue 16), so no view can show a reordered or terminal-driving name.
 */
import type { DiffReport, Report } from '@imgsize/core';
import { safeText } from '../../../format.js';
import type { CategoryStyle } from '../palette.js';
import type { AnalyzeLeaf, DiffLeaf, DirNode, HtmlTree } from '../tree.js';

/** The analyze report as embedded: no per-path rows (the tree replaces them). */
export type PageReport = Omit<Report, 'files'>;

export interface AnalyzePageData {
  page: 'analyze';
  report: PageReport;
  tree: HtmlTree<AnalyzeLeaf> | null;
  styles: Record<string, CategoryStyle>;
}

export interface DiffPageData {
  page: 'diff';
  diff: DiffReport;
  tree: HtmlTree<DiffLeaf> | null;
  treeSource: 'files' | 'top' | null;
  styles: Record<string, CategoryStyle>;
}

/** What ../index.ts embeds into the page. */
export type PageData = AnalyzePageData | DiffPageData;
export type TreeNodeRow = DirNode | AnalyzeLeaf | DiffLeaf;

/** `value` with every string (and object key) escaped; newlines kept, so fixes stay multi-line. */
export function sanitize<T>(value: T): T {
  if (typeof value === 'string') return safeText(value, true) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => sanitize(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[safeText(k)] = sanitize(v);
    return out as T;
  }
  return value;
}

/** Reads the data island `#imgsize-data`. */
export function readPageData(doc: Document): PageData {
  const el = doc.getElementById('imgsize-data');
  if (!el || el.textContent === null) throw new Error('the report data is missing from this page');
  return sanitize(JSON.parse(el.textContent) as PageData);
}

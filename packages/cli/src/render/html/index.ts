/**
 * Self-contained HTML reports (`--html <file>`): one file with the data, styles and script
 * inlined; it opens from file:// and makes no network request. Pure: report in, text out; the
 * page only shapes what the report holds (a tree of its per-path rows) and draws it.
 */
import type { DiffReport, Report } from '@imgsize/core';
import { htmlDocument } from './page.js';
import { categoryStyles } from './palette.js';
import { buildAnalyzeTree, buildDiffTree, buildDiffTreeFromTop, type AnalyzeLeaf, type DiffLeaf, type HtmlTree } from './tree.js';

export { embedJson } from './page.js';
export { buildAnalyzeTree, buildDiffTree, MAX_TREE_DIRS, MAX_TREE_FILES, type HtmlTree } from './tree.js';

/** The report as the page embeds it: per-path rows replaced by the tree, dive's file list dropped. */
function pageReport(r: Report): Omit<Report, 'files'> {
  const { files: _files, ...rest } = r;
  return { ...rest, dive: { ...r.dive, inefficientFiles: [] } };
}

/** Returns the HTML report of an analyze report (the treemap needs `files`: analyze --include-files). */
export function renderAnalyzeHtml(report: Report): string {
  const tree: HtmlTree<AnalyzeLeaf> | null = report.files ? buildAnalyzeTree(report.files) : null;
  const labels = new Map((report.categories ?? []).map((c) => [c.id, c.label]));
  const ids = [...labels.keys(), ...(tree?.cats ?? []), ...report.layers.flatMap((l) => Object.keys(l.categories ?? {}))];
  const name = report.image.repoTags[0] ?? report.image.ref;
  return htmlDocument(`imgsize: ${name}`, { page: 'analyze', report: pageReport(report), tree, styles: categoryStyles(ids, labels) });
}

/**
 * Returns the HTML report of a diff. With both analyze reports (and their per-path rows) the
 * treemap shows every path that grew or shrank; without, the diff's capped list of changes.
 */
export function renderDiffHtml(diff: DiffReport, before?: Report, after?: Report): string {
  let tree: HtmlTree<DiffLeaf> | null = null;
  let treeSource: 'files' | 'top' | null = null;
  if (before?.files && after?.files) {
    tree = buildDiffTree(before.files, after.files);
    treeSource = 'files';
  } else if (diff.paths.available && diff.paths.top.length > 0) {
    tree = buildDiffTreeFromTop(diff.paths.top);
    treeSource = 'top';
  }
  const labels = new Map<string, string>();
  for (const c of [...(before?.categories ?? []), ...(after?.categories ?? [])]) labels.set(c.id, c.label);
  if (diff.categories.available) for (const c of diff.categories.changes) labels.set(c.id, c.label);
  const styles = categoryStyles([...labels.keys(), ...(tree?.cats ?? [])], labels);
  return htmlDocument(`imgsize diff: ${diff.before.name} → ${diff.after.name}`, { page: 'diff', diff, tree, treeSource, styles });
}

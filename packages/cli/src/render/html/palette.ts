/**
 * Category colours and fill patterns for the HTML report. Every category has a colour AND a
 * pattern or label, so the treemap reads without colour; similar hues get different patterns.
 */

/** Pattern ids the page defines as SVG <pattern>s (and CSS for legend swatches). */
export const PATTERNS = ['none', 'diag', 'back', 'dots', 'hlines', 'vlines', 'cross', 'grid'] as const;
export type PatternId = (typeof PATTERNS)[number];

export interface CategoryStyle {
  label: string;
  color: string;
  pattern: PatternId;
}

/** Built-in categories (attribution/rules.ts ids): caches in warm tones, CUDA green, torch red. */
const BUILTIN: Readonly<Record<string, readonly [string, PatternId]>> = {
  'cuda-libs': ['#5f9e2f', 'none'],
  'cuda-devel': ['#9ccc65', 'dots'],
  torch: ['#e4572e', 'none'],
  'ml-libs': ['#8e6bbf', 'none'],
  'build-tools': ['#66788a', 'hlines'],
  'apt-lists': ['#d9b44a', 'vlines'],
  'apt-cache': ['#c98a1b', 'back'],
  'pip-cache': ['#f28e2b', 'diag'],
  'other-caches': ['#e0a96d', 'dots'],
  'conda-cache': ['#b5702a', 'cross'],
  'hf-cache': ['#f4c542', 'grid'],
  'model-weights': ['#3b73c4', 'none'],
  'python-bytecode': ['#9bb7d4', 'dots'],
  docs: ['#c9b98c', 'hlines'],
  vcs: ['#a0522d', 'vlines'],
  tests: ['#c7a0dc', 'back'],
  'base-image': ['#7c93ab', 'none'],
  'os-packages': ['#5f7a96', 'dots'],
  app: ['#2a9d8f', 'none'],
  other: ['#b4bcc6', 'none'],
};

/** Colours for categories a custom rule table adds (cycled, each with a pattern). */
const EXTRA: ReadonlyArray<readonly [string, PatternId]> = [
  ['#17becf', 'diag'],
  ['#bcbd22', 'back'],
  ['#d4679c', 'dots'],
  ['#6b8e23', 'cross'],
  ['#8c564b', 'grid'],
  ['#1f9e89', 'hlines'],
];

/** Category used for rows written before categories were recorded. */
export const UNKNOWN_CATEGORY: CategoryStyle = { label: 'Uncategorized (report without categories)', color: '#c3c8ce', pattern: 'none' };

/**
 * Returns the style of every category id given, labelled from `labels` (the report's own
 * labels), the empty id standing for "unknown".
 */
export function categoryStyles(ids: Iterable<string>, labels: ReadonlyMap<string, string>): Record<string, CategoryStyle> {
  const out: Record<string, CategoryStyle> = {};
  let extra = 0;
  for (const id of [...new Set(ids)].sort()) {
    if (id === '') {
      out[id] = UNKNOWN_CATEGORY;
      continue;
    }
    const b = BUILTIN[id] ?? EXTRA[extra++ % EXTRA.length]!;
    out[id] = { label: labels.get(id) ?? id, color: b[0], pattern: b[1] };
  }
  return out;
}

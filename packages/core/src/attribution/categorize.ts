/**
 * Classifies paths with a rule table. `categorize` is the one-off entry point; bulk callers
 * (attribute) build one CompiledRules and call `classify` directly.
 */
import { cleanPath } from '../paths.js';
import { CompiledRules, DEFAULT_APP_DIRS, DEFAULT_CATEGORY_RULES, type CategoryInfo, type CategoryRule } from './rules.js';

/** What classification depends on besides the path. */
export interface CategorizeContext {
  /** Layer that shipped the file (layers below `baseLayers` are the base image's). */
  layer: number;
  /** How many layers, from the bottom, are the base image's (default 1: the first layer, a guess). */
  baseLayers?: number | undefined;
  /** Application directories (default /app, /srv, /opt/app, /workspace). */
  appDirs?: readonly string[] | undefined;
  /** The image's WorkingDir, added to the application directories. */
  workingDir?: string | undefined;
  /** Owning package as `manager:name` (see ownerKey), for package rules. */
  owner?: string | undefined;
  /** Rule table (default DEFAULT_CATEGORY_RULES). */
  rules?: readonly CategoryRule[] | undefined;
}

/** Directories too general to count as "the application" even when they are the WorkingDir. */
const NOT_APP_DIRS = new Set(['', 'usr', 'usr/local', 'usr/lib', 'usr/share', 'etc', 'var', 'var/lib', 'opt', 'bin', 'sbin', 'lib', 'lib64', 'tmp', 'home', 'root']);

/** Returns the clean application directories: `appDirs` (or the defaults) plus a usable WorkingDir. */
export function resolveAppDirs(appDirs: readonly string[] | undefined, workingDir: string | undefined): string[] {
  const out = (appDirs ?? DEFAULT_APP_DIRS).map((d) => cleanPath(d)).filter((d) => d !== '');
  if (workingDir) {
    const w = cleanPath(workingDir);
    if (!NOT_APP_DIRS.has(w) && !out.includes(w)) out.push(w);
  }
  return out;
}

const cache = new WeakMap<readonly CategoryRule[], Map<string, CompiledRules>>();

/** Returns the compiled table for `rules` and app dirs, compiled once and cached. */
export function compileRules(rules: readonly CategoryRule[], appDirs: readonly string[], baseLayers = 1): CompiledRules {
  let byDirs = cache.get(rules);
  if (!byDirs) {
    byDirs = new Map();
    cache.set(rules, byDirs);
  }
  const key = `${baseLayers}\0${appDirs.join('\0')}`;
  let c = byDirs.get(key);
  if (!c) {
    c = new CompiledRules(rules, appDirs, baseLayers);
    byDirs.set(key, c);
  }
  return c;
}

/** Returns the category (id and label) of a file path shipped by `ctx.layer`. */
export function categorize(path: string, ctx: CategorizeContext): CategoryInfo {
  const c = compileRules(ctx.rules ?? DEFAULT_CATEGORY_RULES, resolveAppDirs(ctx.appDirs, ctx.workingDir), ctx.baseLayers);
  return c.categories[c.classify(cleanPath(path), ctx.layer, ctx.owner)]!;
}

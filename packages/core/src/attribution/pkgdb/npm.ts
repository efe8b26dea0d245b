/**
 * npm: a package is a directory `…/node_modules/<name>` or `…/node_modules/@scope/<name>` with a
 * package.json; it owns the files below it except its own nested `node_modules`. Lock files
 * (`package-lock.json` v1–v3 and npm 7+'s hidden `node_modules/.package-lock.json`) say which
 * installed packages are dev-only (`"dev": true`); without one, the app's package.json
 * `devDependencies` name the direct ones.
 */
import type { PkgdbWarning } from './errors.js';

/** The fields of a package.json attribution reads. */
export interface NpmManifest {
  name?: string | undefined;
  version?: string | undefined;
  dependencies: string[];
  devDependencies: string[];
}

/** Parses a package.json; undefined (and an E_NPM_PACKAGE warning) when it is not a JSON object. */
export function parseNpmManifest(text: string, where: string, warnings: PkgdbWarning[]): NpmManifest | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    warnings.push({ code: 'E_NPM_PACKAGE', message: `${where}: not valid JSON (${(e as Error).message})` });
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    warnings.push({ code: 'E_NPM_PACKAGE', message: `${where}: not a JSON object` });
    return undefined;
  }
  const o = v as Record<string, unknown>;
  return {
    name: typeof o.name === 'string' && o.name !== '' ? o.name : undefined,
    version: typeof o.version === 'string' ? o.version : undefined,
    dependencies: keysOf(o.dependencies),
    devDependencies: keysOf(o.devDependencies),
  };
}

function keysOf(v: unknown): string[] {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
}

/** One package a lock file lists. */
export interface NpmLockEntry {
  /** Install path relative to the project root (`node_modules/a/node_modules/b`); '' for the root project. */
  path: string;
  name: string;
  version: string | undefined;
  /** Only needed for development (`dev: true`). */
  dev: boolean;
}

/** Parses package-lock.json (v1 `dependencies` tree, v2/v3 `packages` map) or node_modules/.package-lock.json. */
export function parsePackageLock(text: string, where: string, warnings: PkgdbWarning[]): { lockfileVersion: number; entries: NpmLockEntry[] } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    warnings.push({ code: 'E_NPM_PACKAGE', message: `${where}: not valid JSON (${(e as Error).message})` });
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const lockfileVersion = typeof o.lockfileVersion === 'number' ? o.lockfileVersion : 1;
  const entries: NpmLockEntry[] = [];
  if (typeof o.packages === 'object' && o.packages !== null) {
    for (const [path, raw] of Object.entries(o.packages as Record<string, unknown>)) {
      if (typeof raw !== 'object' || raw === null) continue;
      const e = raw as Record<string, unknown>;
      const i = path.lastIndexOf('node_modules/');
      const name = typeof e.name === 'string' ? e.name : path === '' ? (typeof o.name === 'string' ? o.name : '') : path.slice(i + 'node_modules/'.length);
      entries.push({ path, name, version: typeof e.version === 'string' ? e.version : undefined, dev: e.dev === true });
    }
  } else if (typeof o.dependencies === 'object' && o.dependencies !== null) {
    // A dev package's own dependencies are dev-only too.
    const walk = (deps: Record<string, unknown>, prefix: string, depth: number, devParent = false): void => {
      if (depth > 256) return;
      for (const [name, raw] of Object.entries(deps)) {
        if (typeof raw !== 'object' || raw === null) continue;
        const e = raw as Record<string, unknown>;
        const path = `${prefix}node_modules/${name}`;
        const dev = devParent || e.dev === true;
        entries.push({ path, name, version: typeof e.version === 'string' ? e.version : undefined, dev });
        if (typeof e.dependencies === 'object' && e.dependencies !== null) walk(e.dependencies as Record<string, unknown>, `${path}/`, depth + 1, dev);
      }
    };
    walk(o.dependencies as Record<string, unknown>, '', 0);
  }
  return { lockfileVersion, entries };
}

const PKG_DIR = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@][^/]*$/;

/** True when the clean directory path is a package root inside node_modules (`…/node_modules/x`, `…/node_modules/@s/x`). */
export function isNodeModulesPackageDir(dir: string): boolean {
  return PKG_DIR.test(dir) && !dir.endsWith('/.bin') && !/(?:^|\/)node_modules\/\.[^/]*$/.test(dir);
}

/**
 * Findings that follow from the apk, rpm and npm records: package caches left behind (apk,
 * dnf/yum, npm), rpm documentation, and devDependencies in a production node_modules. Pure rules
 * over the analyzed image, run in findings.ts's priority order.
 */
import type { AnalyzedImage, ShippedFile } from './analyzed-image.js';
import type { Candidate, FindingRule } from './findings.js';
import { fmtBytes } from './format.js';

const left = (f: ShippedFile): boolean => f.reason !== 'deleted';

/** Files of the apt-cache category under one of the given cache directories, left in the image. */
function cacheFiles(img: AnalyzedImage, dirs: RegExp): ShippedFile[] {
  return (img.byCategory.get('apt-cache') ?? []).filter((f) => left(f) && dirs.test(f.path));
}

/** apk's package cache (`/var/cache/apk`): `apk add --no-cache` never writes it. */
export const apkCacheRule: FindingRule = (img) => {
  const files = cacheFiles(img, /^var\/cache\/apk\//);
  if (files.length === 0) return [];
  return [
    {
      id: 'apk-cache',
      title: 'apk package cache (/var/cache/apk) left in the image',
      confidence: 'certain',
      files,
      fix: 'RUN apk add --no-cache <packages>\n# or, when a cache is configured: RUN apk add <packages> && rm -rf /var/cache/apk/*',
      note: 'Remove it in the same RUN that installs; a later RUN cannot take the bytes back.',
    },
  ];
};

/** dnf / yum metadata and package caches (`/var/cache/dnf`, `/var/cache/yum`). */
export const dnfCacheRule: FindingRule = (img) => {
  const files = cacheFiles(img, /^var\/cache\/(?:dnf|yum|libdnf5)\//);
  if (files.length === 0) return [];
  const yum = files.some((f) => f.path.startsWith('var/cache/yum/'));
  return [
    {
      id: 'dnf-cache',
      title: `${yum ? 'yum / dnf' : 'dnf'} cache (repository metadata, downloaded rpms) left in the image`,
      confidence: 'certain',
      files,
      fix: 'RUN dnf install -y --setopt=keepcache=0 <packages> \\\n && dnf clean all\n# yum: yum install -y <packages> && yum clean all && rm -rf /var/cache/yum\n# microdnf: microdnf install -y <packages> && microdnf clean all',
      note: 'dnf clean all must run in the same RUN as the install: a later RUN only hides the cache.',
    },
  ];
};

/** Documentation that rpm packages installed in the image's own layers. */
export const rpmDocsRule: FindingRule = (img) => {
  const base = img.baseLayers ?? 1;
  const files = (img.byCategory.get('docs') ?? []).filter((f) => f.layer >= base && f.owner?.manager === 'rpm');
  if (files.length === 0) return [];
  return [
    {
      id: 'rpm-docs',
      title: 'Documentation and man pages installed by rpm packages',
      confidence: 'likely',
      files,
      fix: "RUN dnf install -y --nodocs <packages> && dnf clean all\n# or for every install: RUN echo 'tsflags=nodocs' >> /etc/dnf/dnf.conf   (yum: /etc/yum.conf)",
      note: 'License files (%license) are still installed with --nodocs.',
    },
  ];
};

const NPM_CACHE = /(?:^|\/)\.npm\/(?:_cacache|_logs|_npx|_prebuilds)\//;

/** npm's cache (`~/.npm/_cacache`, logs) left by `npm install` / `npm ci`. */
export const npmCacheRule: FindingRule = (img) => {
  const env = img.env.get('NPM_CONFIG_CACHE') ?? img.env.get('npm_config_cache');
  const envDir = env && env.startsWith('/') ? `${env.replace(/^\/+|\/+$/g, '')}/` : undefined;
  const files = img.files.filter((f) => left(f) && (NPM_CACHE.test(f.path) || (envDir !== undefined && f.path.startsWith(envDir))));
  if (files.length === 0) return [];
  return [
    {
      id: 'npm-cache',
      title: 'npm cache (~/.npm) left in the image',
      confidence: 'certain',
      files,
      fix: 'RUN npm ci --omit=dev && npm cache clean --force\n# or keep it out of the layer: RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev',
    },
  ];
};

/** devDependencies installed in a production node_modules (by the project's lock file or package.json). */
export const npmDevDependenciesRule: FindingRule = (img) => {
  const dev = new Set(img.packages.filter((p) => p.manager === 'npm' && p.dev === true));
  if (dev.size === 0) return [];
  const files = img.files.filter((f) => f.owner !== undefined && dev.has(f.owner));
  if (files.length === 0) return [];
  const byPkg = new Map<string, number>();
  for (const f of files) byPkg.set(f.owner!.name, (byPkg.get(f.owner!.name) ?? 0) + f.size);
  const top = [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const c: Candidate = {
    id: 'npm-dev-dependencies',
    title: `${dev.size} npm devDependenc${dev.size === 1 ? 'y' : 'ies'} installed in node_modules`,
    confidence: 'likely',
    files,
    fix: 'RUN npm ci --omit=dev\n# or build in one stage and copy a pruned node_modules: RUN npm ci && npm run build && npm prune --omit=dev',
    note: `Largest: ${top.map(([n, b]) => `${n} ${fmtBytes(b)}`).join(', ')}${byPkg.size > top.length ? ', …' : ''}. Keep them only if the image runs builds or tests.`,
  };
  return [c];
};

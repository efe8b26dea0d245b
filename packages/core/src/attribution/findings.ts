/**
 * Findings: each rule is a pure function over the analyzed image that proposes candidates (a
 * set of shipped files a fix would remove, plus the advice). The engine walks the rules in a
 * fixed priority order and counts every shipped file (layer, path) at most once: a candidate
 * reports the bytes no earlier finding claimed; when all were claimed it is still listed, with
 * `countedInSavings: false`. Informational findings never count.
 */
import type { Finding } from '../report-schema.js';
import type { AnalyzedImage, ShippedFile } from './analyzed-image.js';
import { fmtBytes } from './format.js';
import { runSteps, type Steps } from '../steps.js';
import { apkCacheRule, dnfCacheRule, npmCacheRule, npmDevDependenciesRule, rpmDocsRule } from './pkg-findings.js';

/** What a rule proposes. */
export interface Candidate {
  id: string;
  title: string;
  confidence: Finding['confidence'];
  /** Files the fix removes from what the image ships. */
  files: readonly ShippedFile[];
  fix: string;
  note?: string | undefined;
  /** Informational: listed with its size, never counted in savings. */
  info?: boolean | undefined;
  /** Layers to name besides those that shipped the bytes (e.g. the layer that deleted them). */
  alsoLayers?: readonly number[] | undefined;
  /** Report only what earlier findings did not claim, and nothing when they claimed it all. */
  residual?: boolean | undefined;
  /**
   * Bytes of each file the fix removes when it removes only part of it (GPU kernels for other
   * architectures inside a library); files not in the map count whole.
   */
  partial?: ReadonlyMap<ShippedFile, number> | undefined;
}

/** A findings rule: pure, deterministic. */
export type FindingRule = (img: AnalyzedImage) => Candidate[];

export interface FindingsOptions {
  bandwidthBitsPerSecond: number;
  /** Candidates smaller than this are dropped (default: min(1 MiB, 0.05% of the shipped bytes)). */
  minBytes?: number | undefined;
  /** Evidence paths per finding (default 10). */
  evidence?: number | undefined;
}

export interface FindingsResult {
  findings: Finding[];
  savings: { bytes: number; compressedBytes: number; pullSeconds: number };
  /** Every file counted in savings, each exactly once. */
  claimed: ReadonlySet<ShippedFile>;
}

const MB = 1e6;
const SP = /(?:^|\/)(?:site|dist)-packages\//;

const sum = (fs: readonly ShippedFile[], f: (x: ShippedFile) => number = (x) => x.size): number => fs.reduce((s, x) => s + f(x), 0);
const sumFiles = sum;

export { fmtBytes };

/** The shell command of a RUN history entry, or undefined for other instructions. */
export function runCommand(createdBy: string | null | undefined): string | undefined {
  if (!createdBy) return undefined;
  let s = createdBy.replace(/\s*#\s*buildkit\s*$/, '').trim();
  if (/^\/bin\/sh -c #\(nop\)/.test(s)) return undefined;
  s = s.replace(/^RUN\s+/, '');
  s = s.replace(/^\|\d+\s+(?:\S+=\S*\s+)*/, '');
  const m = /^\/bin\/(?:ba)?sh\s+-c\s+([\s\S]*)$/.exec(s);
  if (m) return m[1]!.trim();
  return /^(?:COPY|ADD|ENV|WORKDIR|LABEL|CMD|ENTRYPOINT|EXPOSE|USER|ARG|VOLUME|SHELL|HEALTHCHECK|ONBUILD|STOPSIGNAL)\b/.test(createdBy) ? undefined : s || undefined;
}

function layerLabel(img: AnalyzedImage, layer: number): string {
  const ins = img.instructions[layer];
  const short = ins ? ins.replace(/\s*#\s*buildkit\s*$/, '').replace(/^\/bin\/sh -c #\(nop\)\s*/, '').trim() : '';
  return short ? `layer ${layer} (${short.length > 70 ? `${short.slice(0, 67)}...` : short})` : `layer ${layer}`;
}

function envOr(img: AnalyzedImage, key: string, fallback: string): string {
  return img.env.get(key) ?? fallback;
}

// ---------------------------------------------------------------------------------------------
// Rules

const inSitePackages = (f: ShippedFile): boolean => SP.test(f.path);
const NONE: readonly ShippedFile[] = [];
const inCategory = (img: AnalyzedImage, id: string): readonly ShippedFile[] => img.byCategory.get(id) ?? NONE;

/** CUDA compiler, headers, static libs and profilers from the base image or apt. */
export const cudaDevelRule: FindingRule = (img) => {
  const files = inCategory(img, 'cuda-devel').filter((f) => !inSitePackages(f));
  if (files.length === 0) return [];
  const v = envOr(img, 'CUDA_VERSION', '<version>');
  const wheels = inCategory(img, 'cuda-libs').some((f) => f.visible && /(?:site|dist)-packages\/nvidia\/[^/]+\/lib\//.test(f.path));
  const runtime = wheels ? 'base' : 'runtime';
  return [
    {
      id: 'cuda-devel',
      title: `CUDA devel toolkit (nvcc, headers, static libraries, profilers) in the final image`,
      confidence: 'likely',
      files,
      fix: [
        `FROM nvidia/cuda:${v}-devel-<os> AS build`,
        '# ... build wheels / extensions here ...',
        `FROM nvidia/cuda:${v}-${runtime}-<os>`,
        'COPY --from=build /opt/venv /opt/venv',
      ].join('\n'),
      note:
        (wheels ? 'The pip nvidia-* wheels bring their own CUDA libraries, so the -base variant is enough at run time. ' : '') +
        'Keep nvcc only if the application compiles CUDA code at run time (e.g. torch.utils.cpp_extension JIT builds).',
    },
  ];
};

const CUDA_SONAME = /^lib(cublasLt|cublas|cudnn(?:_[a-z_]+)?|nccl|cufftw|cufft|curand|cusolverMg|cusolver|cusparseLt|cusparse|nvrtc-builtins|nvrtc|nvJitLink|npp[a-z]*|cudart|nvjpeg|nvToolsExt|cufile(?:_rdma)?)(?:[-.][0-9a-f]{8})?\.so(?:\.[0-9.]+)?$/;

type CudaSource = 'system' | 'pip' | 'torch' | 'wheel';

function cudaSource(path: string): CudaSource {
  if (/(?:site|dist)-packages\/nvidia\//.test(path)) return 'pip';
  if (/(?:site|dist)-packages\/torch\/lib\//.test(path)) return 'torch';
  if (SP.test(path)) return 'wheel';
  return 'system';
}

const SOURCE_LABEL: Record<CudaSource, string> = {
  system: 'the OS / base image (/usr/local/cuda, /usr/lib)',
  pip: 'pip nvidia-* wheels',
  torch: 'libraries bundled in torch/lib',
  wheel: 'libraries bundled in other wheels',
};

/** The same CUDA sonames (libcublas.so.12, …) shipped from several sources. */
export const cudaDuplicateRule: FindingRule = (img) => {
  const byStem = new Map<string, Map<CudaSource, ShippedFile[]>>();
  for (const f of img.files) {
    if (!f.visible || !f.path.includes('.so')) continue;
    const m = CUDA_SONAME.exec(f.path.slice(f.path.lastIndexOf('/') + 1));
    if (!m) continue;
    const stem = m[1]!;
    let s = byStem.get(stem);
    if (!s) byStem.set(stem, (s = new Map()));
    const src = cudaSource(f.path);
    let l = s.get(src);
    if (!l) s.set(src, (l = []));
    l.push(f);
  }
  const dupStems = [...byStem].filter(([, s]) => s.size > 1);
  if (dupStems.length === 0) return [];
  const removable: ShippedFile[] = [];
  const sources = new Set<CudaSource>();
  const detail: string[] = [];
  let onlyWheels = true;
  for (const [stem, s] of dupStems) {
    for (const k of s.keys()) sources.add(k);
    const wheelCopy = s.has('pip') || s.has('torch') || s.has('wheel');
    // Keep the copy the Python stack loads: drop system copies when a wheel has the library,
    // else (torch-bundled and pip both present) the pip one.
    if (s.has('system') && wheelCopy) {
      removable.push(...s.get('system')!);
      onlyWheels = false;
    } else if (s.has('pip') && s.has('torch')) removable.push(...s.get('pip')!);
    else if (s.has('wheel') && (s.has('pip') || s.has('torch'))) removable.push(...s.get('wheel')!);
    detail.push(`lib${stem}: ${[...s].map(([k, fs]) => `${k} ${fmtBytes(sum(fs))}`).join(', ')}`);
  }
  if (removable.length === 0) return [];
  const systemCuda = inCategory(img, 'cuda-libs').filter((f) => f.visible && cudaSource(f.path) === 'system');
  const extra = sum(systemCuda) - sum(removable.filter((f) => cudaSource(f.path) === 'system'));
  const v = envOr(img, 'CUDA_VERSION', '<version>');
  const fix = onlyWheels
    ? '# install torch from the index whose wheels match the nvidia-* wheels you need, so one copy ships\npip install --no-cache-dir torch --index-url https://download.pytorch.org/whl/cu121'
    : `# the pip wheels already bring CUDA: start from an image without the CUDA libraries\nFROM nvidia/cuda:${v}-base-<os>\n# or: FROM python:3.11-slim (the driver comes from the host)`;
  return [
    {
      id: 'cuda-duplicate',
      title: `CUDA libraries ship ${Math.max(...dupStems.map(([, s]) => s.size))} times (${[...sources].map((s) => SOURCE_LABEL[s]).join(' + ')})`,
      confidence: onlyWheels ? 'possible' : 'likely',
      files: removable,
      fix,
      note:
        `Duplicated: ${detail.slice(0, 8).join('; ')}${detail.length > 8 ? '; …' : ''}.` +
        (extra > 0 && !onlyWheels ? ` A base image without CUDA libraries would also drop ${fmtBytes(extra)} of other system CUDA libraries.` : ''),
    },
  ];
};

/** Bytes an earlier layer shipped and a later layer deleted: the cleanup came too late. */
export const cleanupLaterRule: FindingRule = (img) => {
  const pairs = new Map<string, ShippedFile[]>();
  for (const f of img.files) {
    if (f.visible || f.reason !== 'deleted' || f.hiddenBy === undefined) continue;
    const k = `${f.layer}:${f.hiddenBy}`;
    let l = pairs.get(k);
    if (!l) pairs.set(k, (l = []));
    l.push(f);
  }
  const out: Candidate[] = [];
  for (const [k, files] of [...pairs].sort((a, b) => sum(b[1]) - sum(a[1]))) {
    const [ship, del] = k.split(':').map(Number) as [number, number];
    const cats = topCategories(files);
    const installCmd = runCommand(img.instructions[ship]);
    const cleanCmd = runCommand(img.instructions[del]);
    const fix =
      installCmd && cleanCmd
        ? `RUN ${installCmd} \\\n && ${cleanCmd}`
        : '# delete the files in the same RUN that creates them (or do not COPY them: .dockerignore)';
    out.push({
      id: 'cleanup-in-later-layer',
      title: `${cats} deleted in layer ${del} but shipped by layer ${ship}`,
      confidence: 'certain',
      files,
      alsoLayers: [del],
      fix,
      note: `Deleted by ${layerLabel(img, del)}, shipped by ${layerLabel(img, ship)}. A later RUN only hides files: every earlier layer still ships them. Move the cleanup into the RUN that created them.`,
    });
  }
  return out;
};

function topCategories(files: readonly ShippedFile[]): string {
  const by = new Map<string, number>();
  for (const f of files) by.set(f.category, (by.get(f.category) ?? 0) + f.size);
  const top = [...by].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const names = top.slice(0, 2).map((c) => CATEGORY_WORDS[c] ?? c);
  return `${names.join(' and ')}${top.length > 2 ? ' (and more)' : ''}`.replace(/^./, (c) => c.toUpperCase());
}

const CATEGORY_WORDS: Record<string, string> = {
  'apt-lists': 'apt lists',
  'apt-cache': 'apt cache',
  'pip-cache': 'pip cache',
  'other-caches': 'package caches',
  'conda-cache': 'conda package cache',
  'hf-cache': 'model hub cache',
  'model-weights': 'model weights',
  'python-bytecode': 'Python bytecode',
  'build-tools': 'build tools',
  'cuda-libs': 'CUDA libraries',
  'cuda-devel': 'CUDA devel files',
  'os-base': 'OS files',
  app: 'application files',
  other: 'files',
};

/**
 * A finding over one category. `leftOnly`: the files left behind (visible, or overwritten by a
 * later copy), not those a later layer deleted (the cleanup-in-later-layer finding tells that story).
 */
function categoryRule(id: string, category: string | string[], title: string, fix: string, confidence: Candidate['confidence'], note?: string, leftOnly = false): FindingRule {
  const cats = new Set(typeof category === 'string' ? [category] : category);
  return (img) => {
    const files = [...cats].flatMap((c) => inCategory(img, c)).filter((f) => !leftOnly || f.reason !== 'deleted');
    return files.length === 0 ? [] : [{ id, title, confidence, files, fix, ...(note !== undefined && { note }) }];
  };
}

export const aptListsRule = categoryRule(
  'apt-lists',
  'apt-lists',
  'apt package lists left in the image',
  'RUN apt-get update \\\n && apt-get install -y --no-install-recommends <packages> \\\n && rm -rf /var/lib/apt/lists/*',
  'certain',
  'Remove the lists in the same RUN as `apt-get update`; a later RUN cannot take the bytes back.',
  true,
);

// apk and dnf/yum caches share the category; their own findings (pkg-findings.ts) give their fixes.
const aptCacheOnly = (img: AnalyzedImage): AnalyzedImage => ({ ...img, byCategory: new Map([['apt-cache', inCategory(img, 'apt-cache').filter((f) => f.path.startsWith('var/cache/apt/'))]]) });
const aptCacheCategoryRule = categoryRule(
  'apt-cache',
  'apt-cache',
  'apt package cache (.deb files, pkgcache.bin) left in the image',
  'RUN apt-get update \\\n && apt-get install -y --no-install-recommends <packages> \\\n && apt-get clean \\\n && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin',
  'certain',
  'Or use a cache mount: RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt apt-get ...',
  true,
);
export const aptCacheRule: FindingRule = (img) => aptCacheCategoryRule(aptCacheOnly(img));

export const pipCacheRule = categoryRule(
  'pip-cache',
  'pip-cache',
  'pip cache left in the image',
  'RUN pip install --no-cache-dir -r requirements.txt\n# or keep the cache out of the layer:\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt',
  'certain',
  'ENV PIP_NO_CACHE_DIR=1 does the same for every pip call.',
  true,
);

export const otherCachesRule = categoryRule(
  'package-manager-cache',
  'other-caches',
  'Package-manager caches (uv, poetry, npm, yarn) left in the image',
  '# uv:     RUN --mount=type=cache,target=/root/.cache/uv uv pip install ...   (or UV_NO_CACHE=1)\n# poetry: RUN poetry install --no-cache ... && rm -rf ~/.cache/pypoetry\n# npm:    RUN npm ci && npm cache clean --force\n# yarn:   RUN yarn install --frozen-lockfile && yarn cache clean',
  'certain',
  undefined,
  true,
);

export const condaCacheRule = categoryRule(
  'conda-cache',
  'conda-cache',
  'conda package cache (pkgs/) left in the image',
  'RUN conda install -y <packages> \\\n && conda clean -afy\n# micromamba: micromamba install -y ... && micromamba clean --all --yes',
  'certain',
  undefined,
  true,
);

const HEADER_OR_STATIC = /(?:^|\/)(?:usr\/(?:local\/)?include\/|usr\/(?:local\/)?lib\/python3[^/]*\/config-[^/]*\/)|\.a$|\/pkgconfig\//;
const isDevFile = (f: ShippedFile): boolean =>
  HEADER_OR_STATIC.test(f.path) || (f.owner?.manager === 'dpkg' && /-dev(?::|$)/.test(f.owner.name));

/** Compilers, binutils, make/cmake, kernel headers: needed to build, not to run. */
export const buildToolsRule: FindingRule = (img) => {
  const files = inCategory(img, 'build-tools').filter((f) => !isDevFile(f));
  if (files.length === 0) return [];
  const jit = img.files.some((f) => f.visible && (f.path.includes('triton/') || f.path.includes('torch/_inductor/')) && /(?:site|dist)-packages\/(?:triton\/|torch\/_inductor\/)/.test(f.path));
  return [
    {
      id: 'build-tools',
      title: 'Compilers and build tools (gcc, binutils, make) in the final image',
      confidence: jit ? 'possible' : 'likely',
      files,
      fix: 'FROM <base> AS build\nRUN apt-get update && apt-get install -y --no-install-recommends build-essential\nRUN pip wheel --no-cache-dir -w /wheels -r requirements.txt\n\nFROM <base>\nCOPY --from=build /wheels /wheels\nRUN pip install --no-cache-dir /wheels/* && rm -rf /wheels',
      note: jit
        ? 'triton / torch inductor (torch.compile) call a C compiler at run time: keep gcc if the application uses torch.compile or triton kernels.'
        : 'Build wheels in a builder stage and copy only the results.',
    },
  ];
};

/** Headers, static libraries and -dev packages: only a build needs them. */
export const devFilesRule: FindingRule = (img) => {
  const files = img.files.filter(
    (f) => (f.category === 'build-tools' && isDevFile(f)) || (f.owner !== undefined && f.owner.manager === 'dpkg' && f.category !== 'cuda-devel' && f.owner.name.endsWith('-dev')),
  );
  if (files.length === 0) return [];
  const devPkgs = [...new Set(files.map((f) => f.owner).filter((o) => o?.manager === 'dpkg').map((o) => o!.name))].sort();
  return [
    {
      id: 'dev-files',
      title: 'Headers, static libraries and -dev packages in a runtime image',
      confidence: 'likely',
      files,
      fix: `# install runtime packages only (e.g. libpython3.11, not libpython3.11-dev), or build in a separate stage\nRUN apt-get purge -y --auto-remove ${devPkgs.slice(0, 6).join(' ') || '<pkg>-dev'}`,
      ...(devPkgs.length > 0 && { note: `-dev packages: ${devPkgs.slice(0, 12).join(', ')}${devPkgs.length > 12 ? ', …' : ''}.` }),
    },
  ];
};

/** GUI-only libraries of the non-headless wheel: Qt and the X11 client stack (opencv-python setup.py). */
const GUI_LIB = /^lib(?:Qt[56]\w*|xcb\w*|xkbcommon\w*|X11\w*|Xau\w*|Xext\w*|Xrender\w*|Xdmcp\w*|Xi\w*|Xfixes\w*|SM\w*|ICE\w*)[-.]/;
const OPENCV_DIST = /(?:site|dist)-packages\/(opencv_(?:contrib_)?python)-[^/]+\.dist-info\//;

/** The non-headless OpenCV wheel ships Qt, X11 libraries and fonts a server never uses. */
export const opencvGuiRule: FindingRule = (img) => {
  const cv = img.files.filter((f) => f.path.includes('opencv_') || f.path.includes('cv2/qt/'));
  const dists = new Set<string>();
  for (const f of cv) {
    const m = f.visible ? OPENCV_DIST.exec(f.path) : null;
    if (m) dists.add(m[1]!);
  }
  const qt = cv.some((f) => f.visible && /(?:site|dist)-packages\/cv2\/qt\//.test(f.path));
  if (dists.size === 0 && !qt) return [];
  const files = cv.filter((f) => {
    if (/(?:site|dist)-packages\/cv2\/qt\//.test(f.path)) return true;
    const m = /(?:site|dist)-packages\/opencv_(?:contrib_)?python\.libs\/([^/]+)$/.exec(f.path);
    return m !== null && GUI_LIB.test(m[1]!);
  });
  if (files.length === 0) return [];
  const dist = dists.has('opencv_contrib_python') ? 'opencv-contrib-python' : 'opencv-python';
  return [
    {
      id: 'opencv-gui',
      title: `${dist} ships GUI libraries (Qt, X11, fonts): use ${dist}-headless`,
      confidence: 'likely',
      files,
      fix: `RUN pip install --no-cache-dir ${dist}-headless  # instead of ${dist}\n# if a dependency pulls ${dist} back: pip uninstall -y ${dist} && pip install --no-cache-dir --force-reinstall ${dist}-headless`,
      note: 'The headless wheel has the same cv2 API without highgui windows (cv2.imshow).',
    },
  ];
};

/** Docs, man pages and locales installed by layers the user controls. */
export const docsRule: FindingRule = (img) => {
  // rpm packages' docs have their own finding (rpm-docs: --nodocs).
  const all = inCategory(img, 'docs').filter((f) => f.owner?.manager !== 'rpm');
  const files = all.filter((f) => f.layer >= (img.baseLayers ?? 1));
  if (files.length === 0) return [];
  const base = sum(all) - sum(files);
  return [
    {
      id: 'docs',
      title: 'Documentation, man pages and locales in a runtime image',
      confidence: 'likely',
      files,
      fix: "# before apt-get install: keep dpkg from unpacking docs (copyright files stay)\nRUN printf 'path-exclude=/usr/share/doc/*\\npath-include=/usr/share/doc/*/copyright\\npath-exclude=/usr/share/man/*\\npath-exclude=/usr/share/info/*\\npath-exclude=/usr/share/locale/*\\n' > /etc/dpkg/dpkg.cfg.d/01-nodoc",
      note: `Keep locales the application uses (gettext). ${base > 0 ? `The base layer adds ${fmtBytes(base)} more that only a slimmer base image removes.` : ''}`.trim(),
    },
  ];
};

export const vcsRule = categoryRule(
  'vcs',
  'vcs',
  'Version-control history (.git) copied into the image',
  '# .dockerignore\n.git\n.gitignore',
  'certain',
  'COPY . . copies the whole build context; .dockerignore keeps .git out.',
);

/** How to keep test suites out, per package manager that owns them (pip also stands for unowned files). */
const TESTS_FIX = {
  dpkg: "# Debian packages (python3-*) own these: keep dpkg from unpacking them, before apt-get install\nRUN printf 'path-exclude=/usr/lib/python3*/tests/*\\npath-exclude=/usr/lib/python3*/test/*\\n' > /etc/dpkg/dpkg.cfg.d/01-notests\n# or remove them in the RUN that installs the packages:\nRUN apt-get update && apt-get install -y --no-install-recommends <packages> \\\n && find /usr/lib/python3 -type d \\( -name tests -o -name test \\) -prune -exec rm -rf {} +",
  conda: "RUN conda install -y <packages> \\\n && conda clean -afy \\\n && find /opt/conda -path '*-packages/*' -type d \\( -name tests -o -name test \\) -prune -exec rm -rf {} +",
  pip: "RUN pip install --no-cache-dir -r requirements.txt \\\n && find / -xdev -path '*-packages/*' -type d \\( -name tests -o -name test \\) -prune -exec rm -rf {} +",
} as const;

/**
 * Test suites inside installed packages. The fix follows the package manager that owns the
 * files (issue 11: Debian `python3-*` tests were told to use `pip install --no-cache-dir`); when
 * several own some, one fix per manager, the biggest first.
 */
export const testsRule: FindingRule = (img) => {
  const files = inCategory(img, 'tests');
  if (files.length === 0) return [];
  const by = new Map<keyof typeof TESTS_FIX, number>();
  for (const f of files) {
    const m = f.owner?.manager === 'dpkg' || f.owner?.manager === 'conda' ? f.owner.manager : 'pip';
    by.set(m, (by.get(m) ?? 0) + f.size);
  }
  const managers = [...by].sort((a, b) => b[1] - a[1]).map(([m]) => m);
  const fix = managers.length === 1 ? TESTS_FIX[managers[0]!] : managers.map((m) => `# ${m}-owned tests (${fmtBytes(by.get(m)!)}):\n${TESTS_FIX[m]}`).join('\n\n');
  return [
    {
      id: 'tests',
      title: 'Test suites shipped inside installed packages',
      confidence: 'possible',
      files,
      fix,
      note: 'A few packages import their own test helpers at run time: run your tests against the slimmed image.',
    },
  ];
};

/** Model weights and hub caches baked in: informational (they are usually needed). */
export const weightsRule: FindingRule = (img) => {
  const files = [...inCategory(img, 'model-weights'), ...inCategory(img, 'hf-cache')].filter((f) => f.visible);
  if (files.length === 0) return [];
  return [
    {
      id: 'model-weights',
      title: `Model weights baked into the image (${fmtBytes(sum(files))})`,
      confidence: 'certain',
      info: true,
      files,
      fix: '# download at start-up into a mounted volume, or keep the weights in their own late layer:\nCOPY --link models/ /app/models/',
      note: 'Not counted in savings. Weights in their own layer are pulled once and reused across code changes; a volume or object-store download keeps them out of the image.',
    },
  ];
};

/** Any other bytes hidden by a later layer (overwritten or deleted) that no rule above explained. */
export const otherWasteRule: FindingRule = (img) => {
  const pairs = new Map<string, ShippedFile[]>();
  for (const f of img.files) {
    if (f.visible || f.hiddenBy === undefined) continue;
    const k = `${f.layer}:${f.hiddenBy}:${f.reason}`;
    let l = pairs.get(k);
    if (!l) pairs.set(k, (l = []));
    l.push(f);
  }
  const out: Candidate[] = [];
  for (const [k, files] of [...pairs].sort((a, b) => sum(b[1]) - sum(a[1]))) {
    const [ship, by, reason] = k.split(':') as [string, string, string];
    const s = Number(ship);
    const b = Number(by);
    const ins = img.instructions[b] ?? '';
    const perm = /\b(chmod|chown|chgrp)\b/.test(ins);
    out.push({
      id: 'wasted-bytes',
      title: `Files ${reason} by layer ${b} but shipped by layer ${s}`,
      confidence: 'likely',
      files,
      residual: true,
      alsoLayers: [b],
      fix: perm
        ? '# set modes and owners while copying instead of in a later RUN\nCOPY --chmod=644 --chown=app:app models/ /app/models/'
        : '# write each file once: create it in its final form in one layer (or squash with a multi-stage COPY)',
      note: `${reason === 'overwritten' ? 'Overwritten' : 'Deleted'} by ${layerLabel(img, b)}, shipped by ${layerLabel(img, s)}.${perm ? ' A chmod/chown in its own RUN copies every file it touches into a new layer.' : ''}`,
    });
  }
  return out;
};


/** dpkg status stanzas with the fields the recommends rule needs. */
function dpkgStanzas(text: string): Map<string, { installed: boolean; deps: string[][]; provides: string[] }> {
  const out = new Map<string, { installed: boolean; deps: string[][]; provides: string[] }>();
  for (const para of text.split(/\r?\n[ \t]*\r?\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of para.split(/\r?\n/)) {
      if ((line[0] === ' ' || line[0] === '\t') && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      else {
        const c = line.indexOf(':');
        if (c > 0) fields.set((last = line.slice(0, c).toLowerCase()), line.slice(c + 1).trim());
      }
    }
    const name = fields.get('package');
    if (!name) continue;
    const st = (fields.get('status') ?? '').split(/\s+/);
    const names = (v: string | undefined): string[][] =>
      (v ?? '')
        .split(',')
        .map((alt) => alt.split('|').map((x) => x.trim().replace(/\s*\(.*$/, '').replace(/:\w+$/, '')).filter(Boolean))
        .filter((a) => a.length > 0);
    out.set(name, { installed: st[1] === 'ok' && st[2] === 'installed', deps: [...names(fields.get('depends')), ...names(fields.get('pre-depends'))], provides: names(fields.get('provides')).flat() });
  }
  return out;
}

/**
 * `apt-get install` without `--no-install-recommends`: the packages a layer installed that no
 * requested package (nor anything installed before) depends on — installed only because they are
 * recommended. Computed from the dpkg status of the layer and of the layers below it.
 */
export const aptRecommendsRule: FindingRule = (img) => {
  const out: Candidate[] = [];
  let before: ReturnType<typeof dpkgStanzas> | undefined;
  img.image.layers.forEach((layer, li) => {
    const status = layer.scan?.captured.find((c) => c.path === 'var/lib/dpkg/status' && !c.truncated);
    const cmd = runCommand(img.instructions[li]);
    const now = status ? dpkgStanzas(status.content.toString('utf8')) : undefined;
    if (now && cmd && /\bapt(?:-get)?\s+(?:-\S+\s+)*install\b/.test(cmd) && !/--no-install-recommends|Install-Recommends/.test(cmd)) {
      const requested = new Set<string>();
      for (const m of cmd.matchAll(/\bapt(?:-get)?\s+(?:-\S+\s+)*install\s+([^;&|]*)/g)) {
        for (const w of m[1]!.split(/\s+/)) if (w && !w.startsWith('-')) requested.add(w.replace(/[=:].*$/, ''));
      }
      const providers = new Map<string, string[]>();
      for (const [n, s] of now) for (const p of s.provides) providers.set(p, [...(providers.get(p) ?? []), n]);
      const needed = new Set<string>();
      const queue = [...requested, ...[...(before ?? new Map())].filter(([, s]) => s.installed).map(([n]) => n)];
      while (queue.length > 0) {
        const n = queue.pop()!;
        for (const x of [n, ...(providers.get(n) ?? [])]) {
          if (needed.has(x) || !now.get(x)?.installed) continue;
          needed.add(x);
          for (const alt of now.get(x)!.deps) queue.push(...alt);
        }
      }
      const recOnly = new Set([...now].filter(([n, s]) => s.installed && !needed.has(n) && !before?.get(n)?.installed).map(([n]) => n));
      const files = img.files.filter((f) => f.layer === li && f.owner?.manager === 'dpkg' && recOnly.has(f.owner.name));
      if (files.length > 0) {
        const pk = [...new Set(files.map((f) => f.owner!.name))].sort();
        out.push({
          id: 'apt-recommends',
          title: `apt-get install pulled ${pk.length} recommended package${pk.length === 1 ? '' : 's'} nothing depends on`,
          confidence: 'likely',
          files,
          fix: 'RUN apt-get update \\\n && apt-get install -y --no-install-recommends <packages> \\\n && rm -rf /var/lib/apt/lists/*',
          note: `Installed only as Recommends: ${pk.slice(0, 12).join(', ')}${pk.length > 12 ? ', …' : ''}. Name the ones the application uses.`,
        });
      }
    }
    if (now) before = now;
  });
  return out;
};

/** The rules in priority order: a byte is credited to the first finding that claims it. */
export const DEFAULT_FINDING_RULES: readonly FindingRule[] = [
  cudaDevelRule,
  cudaDuplicateRule,
  cleanupLaterRule,
  aptListsRule,
  aptCacheRule,
  apkCacheRule,
  dnfCacheRule,
  pipCacheRule,
  npmCacheRule,
  otherCachesRule,
  condaCacheRule,
  buildToolsRule,
  devFilesRule,
  aptRecommendsRule,
  opencvGuiRule,
  npmDevDependenciesRule,
  rpmDocsRule,
  docsRule,
  vcsRule,
  testsRule,
  weightsRule,
  otherWasteRule,
];

function byEvidenceOrder(a: ShippedFile, b: ShippedFile, size: (f: ShippedFile) => number = (f) => f.size): number {
  return size(b) - size(a) || (a.path < b.path ? -1 : a.path > b.path ? 1 : a.layer - b.layer);
}

/** The `n` biggest files (ties by path, layer) without sorting them all. */
function topFiles(files: readonly ShippedFile[], n: number, size?: (f: ShippedFile) => number): ShippedFile[] {
  const top: ShippedFile[] = [];
  for (const f of files) {
    if (top.length === n && byEvidenceOrder(f, top[n - 1]!, size) >= 0) continue;
    let i = top.length < n ? top.length : n - 1;
    top[i] = f;
    while (i > 0 && byEvidenceOrder(top[i]!, top[i - 1]!, size) < 0) {
      [top[i], top[i - 1]] = [top[i - 1]!, top[i]!];
      i--;
    }
  }
  return top;
}

export function severityOf(bytes: number, total: number, info: boolean): Finding['severity'] {
  if (info) return 'info';
  const share = total > 0 ? bytes / total : 0;
  if (bytes >= 500 * MB || share >= 0.2) return 'high';
  if (bytes >= 50 * MB || share >= 0.05) return 'medium';
  return 'low';
}

/** Runs the rules in order and builds findings, counting every shipped file at most once. */
export function runFindings(img: AnalyzedImage, options: FindingsOptions, rules: readonly FindingRule[] = DEFAULT_FINDING_RULES): FindingsResult {
  return runSteps(findingsSteps(img, options, rules));
}

/** runFindings in steps (steps.ts): pauses between rules and between candidates. */
export function* findingsSteps(img: AnalyzedImage, options: FindingsOptions, rules: readonly FindingRule[] = DEFAULT_FINDING_RULES): Steps<FindingsResult> {
  const shipped = sum(img.files);
  const minBytes = options.minBytes ?? Math.min(1 << 20, Math.ceil(shipped * 0.0005));
  const topN = options.evidence ?? 10;
  const bw = options.bandwidthBitsPerSecond;
  const claimed = new Set<ShippedFile>();
  const claimedBy = new Map<ShippedFile, string>();
  const findings: Finding[] = [];
  let savedBytes = 0;
  let savedCompressed = 0;
  for (const rule of rules) {
    const candidates = rule(img);
    yield;
    for (const c of candidates) {
      yield;
      const part = c.partial;
      const sum = part === undefined ? sumFiles : (fs: readonly ShippedFile[], f?: (x: ShippedFile) => number): number => sumFiles(fs, f ?? ((x) => part.get(x) ?? x.size));
      const csizeOf = (f: ShippedFile): number => (part === undefined || f.size === 0 ? f.csize : (f.csize * (part.get(f) ?? f.size)) / f.size);
      const sizeOf = (f: ShippedFile): number => part?.get(f) ?? f.size;
      const total = sum(c.files);
      if (total === 0 || total < minBytes) continue;
      const fresh = c.info ? [...c.files] : c.files.filter((f) => !claimed.has(f));
      if (c.residual && (sum(fresh) === 0 || sum(fresh) < minBytes)) continue;
      const counted = !c.info && fresh.length > 0 && sum(fresh) > 0;
      const shown = counted ? fresh : [...c.files];
      const bytes = sum(shown);
      const compressed = Math.round(sum(shown, csizeOf));
      const notes: string[] = [];
      if (c.note) notes.push(c.note);
      if (!c.info && !c.residual) {
        const overlap = c.files.filter((f) => claimed.has(f));
        if (overlap.length > 0) {
          const by = [...new Set(overlap.map((f) => claimedBy.get(f)!))].join(', ');
          notes.push(counted ? `${fmtBytes(sum(overlap))} more are already counted under ${by}.` : `All ${fmtBytes(total)} are already counted under ${by}.`);
        }
      }
      if (counted) {
        for (const f of fresh) {
          claimed.add(f);
          claimedBy.set(f, c.id);
        }
        savedBytes += bytes;
        savedCompressed += compressed;
      }
      const perLayer = new Map<number, number>();
      const perLayerCompressed = new Map<number, number>();
      for (const f of shown) {
        perLayer.set(f.layer, (perLayer.get(f.layer) ?? 0) + sizeOf(f));
        perLayerCompressed.set(f.layer, (perLayerCompressed.get(f.layer) ?? 0) + csizeOf(f));
      }
      const mainLayer = [...perLayer].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
      const layers = [...new Set([...perLayer.keys(), ...(c.alsoLayers ?? [])])].sort((a, b) => a - b);
      const evidence = topFiles(shown, topN, sizeOf).map((f) => ({ path: `/${f.path}`, bytes: sizeOf(f), layer: f.layer }));
      findings.push({
        id: c.id,
        title: c.title,
        severity: severityOf(bytes, shipped, c.info === true),
        confidence: c.confidence,
        bytes,
        compressedBytes: compressed,
        pullSeconds: (compressed * 8) / bw,
        layers,
        instruction: mainLayer === undefined ? null : (img.instructions[mainLayer] ?? null),
        evidence,
        fix: c.fix,
        ...(notes.length > 0 && { note: notes.join(' ') }),
        countedInSavings: counted,
        layerBytes: [...perLayer].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([layer, bytes]) => ({ layer, bytes, compressedBytes: Math.round(perLayerCompressed.get(layer) ?? 0) })),
      });
    }
  }
  // Rules run in priority order (that decides which finding claims a byte); users read them
  // largest first, counted savings before informational ones.
  findings.sort((a, b) => Number(b.countedInSavings) - Number(a.countedInSavings) || b.bytes - a.bytes);
  return {
    findings,
    savings: { bytes: savedBytes, compressedBytes: savedCompressed, pullSeconds: (savedCompressed * 8) / bw },
    claimed,
  };
}

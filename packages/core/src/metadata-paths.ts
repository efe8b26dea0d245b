/**
 * Which files a layer scan captures whole: the package managers' own records, which package
 * attribution (attribution/packages.ts) parses later. Kept small on purpose: every captured byte
 * is held in memory.
 *
 * - dpkg: `var/lib/dpkg/status`, `info/<pkg>[:<arch>].list`, and distroless `status.d/<pkg>` with
 *   `status.d/<pkg>.md5sums`;
 * - pip: `<name>-<version>.dist-info/{RECORD,METADATA}`, legacy `*.egg-info/{installed-files.txt,PKG-INFO}`;
 * - conda: `<prefix>/conda-meta/<name>-<version>-<build>.json`;
 * - torch: `site-packages/torch/version.py` (its CUDA/ROCm version, gpu/report.ts).
 *
 * Records inside package caches (uv and poetry unpack whole wheels, dist-info included, under
 * `~/.cache`) describe nothing installed and are not captured.
 */
const DPKG_STATUS = /^var\/lib\/dpkg\/status$/;
const DPKG_STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;
const DPKG_LIST = /^var\/lib\/dpkg\/info\/[^/]+\.list$/;
const PY_RECORD = /(?:^|\/)[^/]+\.dist-info\/(?:RECORD|METADATA)$/;
const PY_EGG = /(?:^|\/)[^/]+\.egg-info\/(?:installed-files\.txt|PKG-INFO)$/;
const CONDA_META = /(?:^|\/)conda-meta\/[^/]+\.json$/;
const IN_CACHE = /(?:^|\/)\.cache\//;
/** torch's build record (CUDA/ROCm version), read by gpu/report.ts. */
const TORCH_VERSION = /(?:^|\/)(?:site|dist)-packages\/torch\/version\.py$/;

/** True for dpkg status/info lists, Python dist-info RECORD/METADATA, egg-info file lists and conda-meta JSON. */
export function isMetadataPath(path: string): boolean {
  if (DPKG_LIST.test(path) || DPKG_STATUS.test(path) || DPKG_STATUS_D.test(path)) return true;
  if (!(PY_RECORD.test(path) || PY_EGG.test(path) || CONDA_META.test(path) || TORCH_VERSION.test(path))) return false;
  return !IN_CACHE.test(path);
}

/**
 * The category rule table: an ordered list of (glob → category) rules, first match wins. Every
 * regular file gets exactly one category: the table always ends with the `other` fallback.
 * The table is documented rule by rule in docs/categories.md; keep the two in step.
 */
import { z } from 'zod';
import { ImgsizeError } from '../errors.js';
import { compileGlob, GlobSyntaxError, splitGlob, type CompiledGlob, type SplitGlob } from './glob.js';

/**
 * One rule: files whose path matches `match` (and no `exclude`), and, when `package` is given,
 * that are owned by a matching package, get `category`.
 */
export interface CategoryRule {
  /** Glob(s) over the absolute path (see glob.ts for the syntax); default `**` (every path). */
  match?: string | readonly string[] | undefined;
  /** Paths matching one of these skip this rule (later rules still apply). */
  exclude?: readonly string[] | undefined;
  /**
   * Glob(s) over the owning package as `manager:name` (`dpkg:libc6-dev`, `pip:torch`,
   * `conda:ffmpeg`); pip names are normalized (lowercase, runs of `-_.` become `-`).
   */
  package?: string | readonly string[] | undefined;
  /** Category id: lowercase letters, digits and dashes. */
  category: string;
  /** Display label of the category; defaults to the built-in label, or the id for a new category. */
  label?: string | undefined;
  /** Only files shipped by the image's first layer. */
  firstLayer?: boolean | undefined;
  /** Only files shipped by the base image's layers (see `BaseImageInfo`: annotations, `--base`, else the first layer). */
  baseLayer?: boolean | undefined;
  /** Only files under the application directories (WorkingDir, /app, /srv, /opt/app, /workspace). */
  appDir?: boolean | undefined;
}

/** Built-in category ids, in report order. */
export const CATEGORY_IDS = [
  'cuda-libs',
  'cuda-devel',
  'torch',
  'ml-libs',
  'build-tools',
  'host-driver',
  'apt-lists',
  'apt-cache',
  'pip-cache',
  'other-caches',
  'conda-cache',
  'hf-cache',
  'model-weights',
  'python-bytecode',
  'docs',
  'vcs',
  'tests',
  'base-image',
  'os-packages',
  'app',
  'other',
] as const;

export type BuiltinCategoryId = (typeof CATEGORY_IDS)[number];

/** Display labels of the built-in categories. */
export const CATEGORY_LABELS: Readonly<Record<BuiltinCategoryId, string>> = {
  'cuda-libs': 'CUDA libraries',
  'cuda-devel': 'CUDA devel (compiler, headers, static libs, profilers)',
  torch: 'PyTorch',
  'ml-libs': 'ML frameworks and libraries',
  'build-tools': 'Build tools (compilers, headers, static libs)',
  'host-driver': 'Kernel modules, DKMS and kernel headers (the host provides the driver)',
  'apt-lists': 'apt package lists',
  'apt-cache': 'apt / OS package cache',
  'pip-cache': 'pip cache',
  'other-caches': 'Other package caches (uv, poetry, npm, yarn)',
  'conda-cache': 'conda package cache',
  'hf-cache': 'Model hub caches (Hugging Face, torch hub)',
  'model-weights': 'Model weights',
  'python-bytecode': 'Python bytecode',
  docs: 'Docs, man pages, locales',
  vcs: 'VCS metadata (.git)',
  tests: 'Test suites',
  'base-image': 'Base image',
  'os-packages': 'OS packages (dpkg, apk, rpm)',
  app: 'Application',
  other: 'Other',
};

/** Default application directories (the image's WorkingDir is always added). */
export const DEFAULT_APP_DIRS: readonly string[] = ['/app', '/srv', '/opt/app', '/workspace'];

// Shared pattern pieces.
const SP = '**/{site,dist}-packages';
/** CUDA library stems as they appear in sonames (libcublas.so.12, libnvrtc-08c4863f.so.11.2). */
export const CUDA_STEMS =
  'cublas,cublasLt,cudnn,cudnn_*,nccl,cufft,cufftw,curand,cusolver,cusolverMg,cusparse,cusparseLt,nvrtc,nvrtc-builtins,nvJitLink,npp*,cudart,nvjpeg,nvToolsExt,cufile,cufile_rdma,nvblas,cuda,nvidia-*';
const CUDA_LIB_FILE = `lib{${CUDA_STEMS}}{,-*,.*}.so*`;
/** Import names (directories in site-packages) of ML frameworks and libraries. */
const ML_DIRS =
  'torchvision,torchaudio,torchtext,torchdata,triton,pytorch_triton,xformers,flash_attn,flash_attn_*,vllm,vllm_flash_attn,flashinfer,' +
  'tensorflow,tensorflow_*,tf_keras,keras,tensorboard,tensorboard_*,jax,jaxlib,jax_cuda*,jax_plugins,transformers,tokenizers,accelerate,' +
  'diffusers,peft,sentence_transformers,timm,onnx,onnxruntime,onnxruntime_*,bitsandbytes,deepspeed,tensorrt,tensorrt_*,torch_tensorrt,' +
  'apex,cupy,cupy_*,cupy_backends,lightning,pytorch_lightning,paddle,mmcv,sglang,optimum,safetensors,huggingface_hub,sentencepiece,einops,' +
  'numpy,scipy,sklearn,scikit_learn,PIL,pillow,Pillow,cv2,opencv_*,pycocotools';
/** Normalized pip / conda names of the same. */
const ML_PACKAGES =
  'torchvision,torchaudio,torchtext,torchdata,triton,pytorch-triton*,xformers,flash-attn*,vllm,vllm-flash-attn,flashinfer*,tensorflow*,' +
  'tf-keras,keras,tensorboard*,jax,jaxlib,jax-cuda*,transformers,tokenizers,accelerate,diffusers,peft,sentence-transformers,timm,onnx,' +
  'onnxruntime*,bitsandbytes,deepspeed,tensorrt*,torch-tensorrt,apex,cupy*,lightning,pytorch-lightning,paddlepaddle*,mmcv*,sglang,' +
  'optimum,safetensors,huggingface-hub,sentencepiece,einops,numpy,scipy,scikit-learn,pillow,opencv-*,pycocotools';
/** Debian packages of a C/C++ toolchain (build-essential's closure, cmake, autotools) and every -dev package. */
const BUILD_DEBS =
  'build-essential,gcc,g++,cpp,gfortran,clang,lld,make,cmake,cmake-data,ninja-build,patch,dpkg-dev,libdpkg-perl,autoconf,automake,' +
  'libtool,pkg-config,pkgconf,bison,flex,gcc-[0-9]*,g++-[0-9]*,cpp-[0-9]*,gfortran-[0-9]*,clang-[0-9]*,llvm-[0-9]*,lld-[0-9]*,' +
  'binutils,binutils-*,libbinutils,libctf0,libctf-nobfd0,libgprofng*,libsframe*,libc6-dev,libc-dev-bin,linux-libc-dev,libcrypt-dev,' +
  'libnsl-dev,libtirpc-dev,rpcsvc-proto,libasan[0-9]*,libtsan[0-9]*,liblsan[0-9]*,libubsan[0-9]*,libhwasan[0-9]*,libisl[0-9]*,' +
  'libmpc[0-9]*,libmpfr[0-9]*,libcc1-[0-9]*,linux-headers-*,dkms,*-dev';

/**
 * The default rule table, first match wins. Order matters: caches and VCS first (a pip cache full
 * of CUDA wheels is still a cache), then tests, bytecode and docs (they are in every package),
 * CUDA devel before CUDA libraries (both live under /usr/local/cuda), CUDA before torch (torch/lib
 * bundles CUDA), build tools, then rules by owning package, logs, the application, the base
 * image's layers, OS packages installed later (and the package managers' bookkeeping) and `other`.
 */
export const DEFAULT_CATEGORY_RULES: readonly CategoryRule[] = [
  { category: 'vcs', match: ['**/.git/**', '**/.git', '**/.hg/**', '**/.svn/**'] },
  { category: 'pip-cache', match: ['**/.cache/pip/**', 'tmp/pip-*/**'] },
  {
    category: 'other-caches',
    match: [
      '**/.cache/uv/**',
      '**/.cache/pypoetry/{cache,artifacts}/**',
      '**/.npm/_cacache/**',
      '**/.cache/yarn/**',
      'usr/local/share/.cache/yarn/**',
      '**/.cache/pnpm/**',
      '**/.local/share/pnpm/store/**',
      '**/.cache/go-build/**',
      '**/.cargo/registry/cache/**',
    ],
  },
  {
    category: 'conda-cache',
    match: ['opt/conda/pkgs/**', '**/{conda,miniconda,miniconda3,miniforge,miniforge3,mambaforge,anaconda3,micromamba,.conda}/pkgs/**'],
  },
  { category: 'hf-cache', match: ['**/.cache/huggingface/**', '**/.cache/torch/hub/**'] },
  { category: 'apt-lists', match: ['var/lib/apt/lists/**'] },
  { category: 'apt-cache', match: ['var/cache/apt/**', 'var/cache/{apk,yum,dnf}/**'] },
  { category: 'tests', match: [`${SP}/**/{tests,test}/**`, 'usr/lib/python3*/test/**', 'usr/local/lib/python3*/test/**'] },
  { category: 'python-bytecode', match: ['**/__pycache__/**', '**/*.{pyc,pyo}'] },
  {
    category: 'docs',
    match: ['usr/share/{doc,man,info,locale,i18n,gtk-doc,help}/**', 'usr/local/share/{doc,man,info}/**', 'usr/local/cuda*/doc/**', 'opt/conda/share/{doc,man,info}/**'],
  },
  {
    category: 'cuda-devel',
    match: [
      'usr/local/cuda*/{bin,nvvm,include,extras,nsight*,libnvvp,compute-sanitizer,tools,src,samples,gds,nvml,share,pkgconfig}/**',
      'usr/local/cuda*/targets/*/include/**',
      'usr/local/cuda*/**/stubs/**',
      'usr/local/cuda*/**/*.a',
      'usr/local/cuda*/{lib,lib64}/cmake/**',
      'usr/local/cuda*/**/libcupti*',
      'usr/local/cuda*/**/libnvperf_*',
      'opt/nvidia/nsight*/**',
      'usr/lib/nvidia-cuda-toolkit/**',
      'usr/lib/cuda/{bin,include,nvvm}/**',
      'usr/lib/*-linux-gnu/libcupti*',
      'usr/bin/{nvcc,ptxas,cuobjdump,nvdisasm,nvprune,fatbinary,cu++filt,nvlink,cudafe++,nsys,ncu,nvprof}',
      'usr/include/**/{cudnn,nccl,cublas,cublasLt,cuda,cudart,cufft,curand,cusolver,cusparse,nvrtc,npp,nvjpeg,cupti}*',
      `**/lib{${CUDA_STEMS},cudadevrt,culibos,cupti,nvperf_*,nvptxcompiler,metis}*.a`,
      `${SP}/nvidia/cuda_nvcc/**`,
      `${SP}/nvidia/cu1*/{bin,include,nvvm}/**`,
    ],
  },
  {
    category: 'cuda-libs',
    match: [
      'usr/local/cuda*/**',
      'usr/lib/cuda/**',
      `usr/lib/*-linux-gnu/${CUDA_LIB_FILE}`,
      `usr/lib64/${CUDA_LIB_FILE}`,
      `${SP}/nvidia/**`,
      `${SP}/nvidia_*.dist-info/**`,
      `${SP}/{torch/lib,*.libs}/${CUDA_LIB_FILE}`,
    ],
  },
  {
    category: 'torch',
    match: [
      `${SP}/{torch,torchgen,functorch}/**`,
      `${SP}/torch-*.{dist,egg}-info/**`,
      `${SP}/torch.libs/**`,
      'usr/lib/*-linux-gnu/lib{torch,c10,caffe2,shm}*.so*',
      '{opt,usr/local}/libtorch/**',
    ],
  },
  {
    category: 'ml-libs',
    match: [`${SP}/{${ML_DIRS}}{,.libs,-*.dist-info,-*.egg-info}/**`, `${SP}/{flash_attn_2_cuda,flash_attn_3_cuda}*.so`],
  },
  {
    category: 'model-weights',
    match: [
      '**/*.{safetensors,gguf,ggml,ckpt,pt,pth,onnx,h5,tflite,keras,pdparams,nemo}',
      '**/{pytorch_model,model}*.bin',
      '**/{models,model,checkpoints,weights,ckpt}/**/*.{bin,msgpack,npz,params}',
    ],
    exclude: [`${SP}/*.pth`, 'usr/share/vim*/**'],
  },
  {
    category: 'host-driver',
    match: ['{lib,usr/lib}/modules/**', '{lib,usr/lib}/firmware/nvidia/**', 'var/lib/dkms/**', 'usr/src/{nvidia,linux-headers,linux-kbuild,linux-source}-*/**', 'usr/src/kernels/**'],
  },
  {
    category: 'build-tools',
    match: [
      'usr/lib/gcc/**',
      'usr/lib/gcc-cross/**',
      'usr/libexec/gcc/**',
      'usr/lib/bfd-plugins/**',
      'usr/lib/llvm-*/**',
      'usr/bin/{gcc,g++,cpp,c++,cc,gfortran,clang,clang++,cmake,ctest,cpack,ccmake,make,gmake,ninja,ld,ld.*,as,ar,ranlib,nm,objdump,objcopy,strip,readelf,size,strings,addr2line,gprof,c++filt,elfedit,dwp,gold,lto-dump,gcov,gcov-*}{,-[0-9]*}',
      'usr/bin/*-linux-gnu-*',
      'usr/share/cmake*/**',
      'usr/{,local/}include/**',
      'usr/src/**',
      'var/lib/dkms/**',
      'usr/{,local/}lib/python3*/config-*/**',
      'usr/lib/*-linux-gnu/lib{bfd,opcodes,ctf,ctf-nobfd,sframe,gprofng,asan,tsan,lsan,ubsan,hwasan,cc1,isl,mpc,gccjit}{.so,.so.*,-*.so}',
      'usr/lib/*-linux-gnu/*.o',
      'usr/{lib,share,lib/*-linux-gnu}/pkgconfig/**',
      `${SP}/{cmake,ninja}{,-*.dist-info}/**`,
      '**/*.a',
    ],
  },
  // By owning package: files the path rules above do not place (scripts in bin/, metadata).
  { category: 'cuda-libs', package: ['pip:nvidia-*', 'conda:{cuda-*,libcu*,libnv*,libnpp*,cudnn,nccl,libnccl,cudatoolkit}'] },
  { category: 'torch', package: ['pip:torch', 'conda:{pytorch,libtorch}'] },
  { category: 'ml-libs', package: [`pip:{${ML_PACKAGES}}`, `conda:{${ML_PACKAGES}}`] },
  { category: 'build-tools', package: [`dpkg:{${BUILD_DEBS}}`, 'conda:{gcc*,gxx*,binutils*,cmake,make,ninja,*-devel}'] },
  // Logs are build residue, whichever layer wrote them.
  { category: 'other', match: ['var/log/**'] },
  // The application before the base image: a squashed single-layer image still has an app.
  { category: 'app', appDir: true },
  { category: 'base-image', baseLayer: true },
  // Later layers: OS packages and the package managers' own bookkeeping.
  {
    category: 'os-packages',
    match: [
      'var/lib/{dpkg,apt,ucf,pam,systemd,rpm,dnf,yum,alternatives}/**',
      'usr/lib/sysimage/rpm/**',
      'lib/apk/db/**',
      'var/cache/{debconf,ldconfig}/**',
      'etc/ld.so.cache',
    ],
  },
  { category: 'os-packages', package: ['dpkg:*', 'apk:*', 'rpm:*'] },
  { category: 'other' },
];

// ---------------------------------------------------------------------------------------------
// User configuration

const CATEGORY_ID = /^[a-z0-9][a-z0-9-]*$/;

const Globs = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const RuleSchema = z.strictObject({
  match: Globs.optional(),
  exclude: z.array(z.string().min(1)).optional(),
  package: Globs.optional(),
  category: z.string().regex(CATEGORY_ID, 'expected lowercase letters, digits and dashes'),
  label: z.string().min(1).optional(),
  firstLayer: z.boolean().optional(),
  baseLayer: z.boolean().optional(),
  appDir: z.boolean().optional(),
});

const ConfigSchema = z.union([
  z.array(RuleSchema),
  z.strictObject({
    rules: z.array(RuleSchema),
    /** Use only the given rules (plus the `other` fallback) instead of putting them before the defaults. */
    replaceDefaults: z.boolean().optional(),
  }),
]);

function badRule(index: number, field: string, why: string): ImgsizeError {
  return new ImgsizeError('E_BAD_CONFIG', `category rules: rule ${index}: field "${field}": ${why}`, {
    hint: 'see docs/categories.md for the rule format',
  });
}

/**
 * Returns the effective rule table for a user config: its rules first (so they override the
 * defaults), then the defaults, unless `replaceDefaults`. Accepts JSON text or a parsed value,
 * either `[rule, …]` or `{ "rules": [rule, …], "replaceDefaults": false }`. Throws E_BAD_CONFIG
 * naming the bad rule's index and field.
 */
export function loadCategoryRules(json: unknown): CategoryRule[] {
  let raw = json;
  if (typeof json === 'string' || Buffer.isBuffer(json)) {
    try {
      raw = JSON.parse(json.toString());
    } catch (e) {
      throw new ImgsizeError('E_BAD_CONFIG', `category rules: not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    // Report the issue that points deepest into a rule (the union's other branch is noise).
    const issues = collectIssues(r.error.issues);
    const inRule = issues.find((i) => i.path.some((p) => typeof p === 'number'));
    const issue = inRule ?? issues[0];
    if (issue) {
      const idx = issue.path.findIndex((p) => typeof p === 'number');
      if (idx >= 0) {
        const field = issue.path.slice(idx + 1).filter((p) => typeof p === 'string');
        throw badRule(issue.path[idx] as number, field.length > 0 ? field.join('.') : '(rule)', issue.message);
      }
      const at = issue.path.length > 0 ? ` at "${issue.path.join('.')}"` : '';
      throw new ImgsizeError('E_BAD_CONFIG', `category rules${at}: ${issue.message}`, {
        hint: 'expected an array of rules or {"rules": [...]}; see docs/categories.md',
      });
    }
    throw new ImgsizeError('E_BAD_CONFIG', 'category rules: invalid');
  }
  const cfg = Array.isArray(r.data) ? { rules: r.data, replaceDefaults: false } : r.data;
  const rules: CategoryRule[] = cfg.rules.map((rule, i) => {
    for (const [field, list] of [
      ['match', globList(rule.match)],
      ['exclude', rule.exclude ?? []],
      ['package', globList(rule.package)],
    ] as const) {
      for (const g of list) {
        try {
          compileGlob(g);
        } catch (e) {
          if (e instanceof GlobSyntaxError) throw badRule(i, field, e.message);
          throw e;
        }
      }
    }
    const out: CategoryRule = { category: rule.category };
    if (rule.match !== undefined) out.match = rule.match;
    if (rule.exclude) out.exclude = rule.exclude;
    if (rule.package !== undefined) out.package = rule.package;
    if (rule.label !== undefined) out.label = rule.label;
    if (rule.firstLayer !== undefined) out.firstLayer = rule.firstLayer;
    if (rule.baseLayer !== undefined) out.baseLayer = rule.baseLayer;
    if (rule.appDir !== undefined) out.appDir = rule.appDir;
    return out;
  });
  return cfg.replaceDefaults ? [...rules, { category: 'other' }] : [...rules, ...DEFAULT_CATEGORY_RULES];
}

function globList(g: string | readonly string[] | undefined): readonly string[] {
  return g === undefined ? [] : typeof g === 'string' ? [g] : g;
}

type Issue = { path: PropertyKey[]; message: string; errors?: Issue[][] };

/** Flattens zod union issues (`invalid_union` keeps each branch's issues in `errors`). */
function collectIssues(issues: readonly Issue[], prefix: PropertyKey[] = []): Issue[] {
  const out: Issue[] = [];
  for (const i of issues) {
    const path = [...prefix, ...i.path];
    if (i.errors && i.errors.length > 0) {
      for (const branch of i.errors) out.push(...collectIssues(branch, path));
    } else out.push({ path, message: i.message });
  }
  // Deepest first: the branch that got furthest explains the problem best.
  return out.sort((a, b) => b.path.length - a.path.length);
}

// ---------------------------------------------------------------------------------------------
// Compiled table

/** A category of a compiled table. */
export interface CategoryInfo {
  id: string;
  label: string;
}

interface CompiledPattern {
  rule: number;
  glob: CompiledGlob;
  /** Directory/basename split, or undefined when the whole path must be tested. */
  split: SplitGlob | undefined;
}

interface CompiledRule {
  category: number;
  excludes: RegExp[];
  /** Owner globs (`manager:name`), or null when the rule ignores ownership. */
  packages: RegExp[] | null;
  firstLayer: boolean;
  baseLayer: boolean;
  appDir: boolean;
}

/** Candidate patterns for the files of one directory, in table order. */
interface DirCandidates {
  patterns: CompiledPattern[];
  underApp: boolean;
}

/**
 * A rule table compiled for fast classification: globs become RegExps once; the directory part
 * of every pattern is tested once per directory (memoized), so a file costs a few basename tests.
 */
export class CompiledRules {
  readonly categories: CategoryInfo[] = [];
  private readonly rules: CompiledRule[] = [];
  private readonly bySegment = new Map<string, CompiledPattern[]>();
  private readonly anySegment: CompiledPattern[] = [];
  private readonly appPrefixes: string[];
  private readonly otherIndex: number;

  /** Files of layers below this index are the base image's (`baseLayer` rules). */
  private readonly baseLayers: number;

  constructor(rules: readonly CategoryRule[], appDirs: readonly string[], baseLayers = 1) {
    this.baseLayers = baseLayers;
    const catIndex = new Map<string, number>();
    const indexOf = (id: string, label: string | undefined): number => {
      let i = catIndex.get(id);
      if (i === undefined) {
        i = this.categories.length;
        catIndex.set(id, i);
        this.categories.push({ id, label: label ?? (CATEGORY_LABELS as Record<string, string>)[id] ?? id });
      }
      return i;
    };
    // Built-in ids first so reports list them in a stable order.
    for (const id of CATEGORY_IDS) {
      const custom = rules.find((r) => r.category === id && r.label !== undefined);
      indexOf(id, custom?.label);
    }
    const all: CompiledPattern[] = [];
    rules.forEach((r, ri) => {
      const category = indexOf(r.category, r.label);
      const excludes = (r.exclude ?? []).map((g) => compileGlob(g).re);
      const pkgs = globList(r.package);
      const packages = pkgs.length > 0 ? pkgs.map((g) => compileGlob(g.toLowerCase()).re) : null;
      this.rules.push({ category, excludes, packages, firstLayer: r.firstLayer === true, baseLayer: r.baseLayer === true, appDir: r.appDir === true });
      const match = globList(r.match);
      for (const g of match.length > 0 ? match : ['**']) all.push({ rule: ri, glob: compileGlob(g), split: splitGlob(g) });
    });
    this.otherIndex = indexOf('other', undefined);
    // Buckets keep table order, so the first hit is the first matching rule.
    const segments = new Set(all.map((p) => p.glob.firstSegment).filter((s): s is string => s !== undefined));
    for (const s of segments) this.bySegment.set(s, all.filter((p) => p.glob.firstSegment === undefined || p.glob.firstSegment === s));
    this.anySegment.push(...all.filter((p) => p.glob.firstSegment === undefined));
    this.appPrefixes = appDirs.map((d) => `${d.replace(/^\/+|\/+$/g, '')}/`).filter((d) => d !== '/');
  }

  /**
   * Index into `categories` of a clean path shipped by `layer`, owned by `owner` (`manager:name`,
   * see `ownerKey`) when known. No memo; bulk callers use `classifier`.
   */
  classify(path: string, layer: number, owner?: string): number {
    const slash = path.lastIndexOf('/');
    return this.match(path, slash, layer, owner, this.candidatesFor(slash < 0 ? '' : path.slice(0, slash)));
  }

  /** Returns a classify function that memoizes per-directory work; drop it when done. */
  classifier(): (path: string, layer: number, owner?: string) => number {
    const dirs = new Map<string, DirCandidates>();
    let lastDir = '\0';
    let last: DirCandidates | undefined;
    return (path, layer, owner) => {
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash);
      if (dir !== lastDir) {
        last = dirs.get(dir);
        if (!last) {
          last = this.candidatesFor(dir);
          dirs.set(dir, last);
        }
        lastDir = dir;
      }
      return this.match(path, slash, layer, owner, last!);
    };
  }

  private match(path: string, slash: number, layer: number, owner: string | undefined, cand: DirCandidates): number {
    const base = slash < 0 ? path : path.slice(slash + 1);
    const list = cand.patterns;
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (p.split) {
        if (p.split.base !== null && !p.split.base.test(base)) continue;
      } else if (!p.glob.re.test(path)) continue;
      const r = this.rules[p.rule]!;
      if (r.packages !== null && (owner === undefined || !r.packages.some((x) => x.test(owner)))) continue;
      if (r.firstLayer && layer !== 0) continue;
      if (r.baseLayer && layer >= this.baseLayers) continue;
      if (r.appDir && !cand.underApp) continue;
      if (r.excludes.length > 0 && r.excludes.some((x) => x.test(path))) continue;
      return r.category;
    }
    return this.otherIndex;
  }

  private candidatesFor(dir: string): DirCandidates {
    const s = dir.indexOf('/');
    const seg = s < 0 ? dir : dir.slice(0, s);
    // Root-level files have dir '': only patterns without a literal first segment can match.
    const bucket = dir === '' ? this.anySegment : (this.bySegment.get(seg) ?? this.anySegment);
    const patterns = bucket.filter((p) => p.split === undefined || p.split.dir.test(dir));
    const withSlash = `${dir}/`;
    return { patterns, underApp: this.appPrefixes.some((a) => withSlash.startsWith(a)) };
  }
}

/** The owner key package rules match: `manager:name`, pip names normalized (PEP 503). */
export function ownerKey(manager: string, name: string): string {
  return `${manager}:${manager === 'pip' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name.toLowerCase()}`;
}

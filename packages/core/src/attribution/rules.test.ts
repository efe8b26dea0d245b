import { describe, expect, it } from 'vitest';
import { isImgsizeError } from '../errors.js';
import { categorize, compileRules, resolveAppDirs } from './categorize.js';
import { compileGlob, splitGlob } from './glob.js';
import { CATEGORY_IDS, DEFAULT_CATEGORY_RULES, loadCategoryRules, ownerKey, type CategoryRule } from './rules.js';

const SP = '/usr/local/lib/python3.11/site-packages';
const VENV = '/opt/venv/lib/python3.11/site-packages';

// [path, layer, expected category, owner?] — real paths from ml-image-anatomy.md.
const CASES: Array<[string, number, string, string?]> = [
  // CUDA libraries: apt / nvidia/cuda images
  ['/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcublasLt.so.12.1.3.1', 2, 'cuda-libs'],
  ['/usr/local/cuda-11.8/targets/x86_64-linux/lib/libcusparse.so.11.7.5.86', 2, 'cuda-libs'],
  ['/usr/local/cuda-12.1/compat/libcuda.so.530.30.02', 1, 'cuda-libs'],
  ['/usr/lib/x86_64-linux-gnu/libcudnn_cnn_infer.so.8.9.0', 2, 'cuda-libs'],
  ['/usr/lib/x86_64-linux-gnu/libnccl.so.2.17.1', 2, 'cuda-libs'],
  ['/usr/lib/x86_64-linux-gnu/libcublas.so.11.10.3.66', 2, 'cuda-libs'],
  ['/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2', 2, 'cuda-libs'],
  ['/usr/lib/aarch64-linux-gnu/libcusolver.so.11', 2, 'cuda-libs'],
  // CUDA from pip, and bundled in torch / other wheels
  [`${SP}/nvidia/cublas/lib/libcublas.so.12`, 3, 'cuda-libs'],
  [`${SP}/nvidia/cudnn/lib/libcudnn_ops_infer.so.8`, 3, 'cuda-libs'],
  [`${SP}/nvidia/nccl/lib/libnccl.so.2`, 3, 'cuda-libs'],
  [`${SP}/nvidia/cu13/lib/libcublas.so.13`, 3, 'cuda-libs'],
  [`${SP}/nvidia_cublas_cu12-12.1.3.1.dist-info/RECORD`, 3, 'cuda-libs'],
  [`${SP}/torch/lib/libnvrtc-08c4863f.so.10.2`, 3, 'cuda-libs'],
  [`${SP}/torch/lib/libcudnn_cnn_infer.so.8`, 3, 'cuda-libs'],
  [`${SP}/torch/lib/libcublasLt.so.11`, 3, 'cuda-libs'],
  [`${SP}/torch/lib/libcudart-e409450e.so.11.0`, 3, 'cuda-libs'],
  [`${VENV}/torchvision.libs/libnvjpeg.f00ca762.so.12`, 3, 'cuda-libs'],
  // CUDA devel
  ['/usr/local/cuda-12.1/bin/nvcc', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/bin/ptxas', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/nvvm/bin/cicc', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcublasLt_static.a', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcufft_static.a', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/targets/x86_64-linux/lib/stubs/libcuda.so', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/targets/x86_64-linux/include/cublas_v2.h', 2, 'cuda-devel'],
  ['/usr/local/cuda-12.1/extras/CUPTI/lib64/libcupti.so.12', 2, 'cuda-devel'],
  ['/opt/nvidia/nsight-compute/2023.1.1/ncu', 2, 'cuda-devel'],
  ['/usr/lib/x86_64-linux-gnu/libcudnn_static_v8.a', 2, 'cuda-devel'],
  ['/usr/include/x86_64-linux-gnu/cudnn_v8.h', 2, 'cuda-devel'],
  ['/usr/include/nccl.h', 2, 'cuda-devel'],
  [`${SP}/nvidia/cu13/bin/nvcc`, 3, 'cuda-devel'],
  [`${SP}/nvidia/cuda_nvcc/bin/ptxas`, 3, 'cuda-devel'],
  // torch and ML libraries
  [`${SP}/torch/lib/libtorch_cuda.so`, 3, 'torch'],
  [`${SP}/torch/lib/libtorch_cpu.so`, 3, 'torch'],
  [`${SP}/torch/lib/libgomp-a34b3233.so.1`, 3, 'torch'],
  [`${SP}/torch-2.2.0.dist-info/RECORD`, 3, 'torch'],
  ['/usr/lib/python3/dist-packages/torch/lib/libtorch_cpu.so', 3, 'torch'],
  ['/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13', 3, 'torch'],
  ['/opt/venv/bin/torchrun', 3, 'torch', 'pip:torch'],
  [`${SP}/triton/backends/nvidia/bin/ptxas`, 3, 'ml-libs'],
  [`${SP}/triton/_C/libtriton.so`, 3, 'ml-libs'],
  [`${SP}/xformers/_C.so`, 3, 'ml-libs'],
  [`${SP}/flash_attn_2_cuda.cpython-311-x86_64-linux-gnu.so`, 3, 'ml-libs'],
  [`${SP}/vllm/_C.abi3.so`, 3, 'ml-libs'],
  [`${SP}/onnxruntime/capi/libonnxruntime_providers_cuda.so`, 3, 'ml-libs'],
  [`${SP}/bitsandbytes/libbitsandbytes_cuda121.so`, 3, 'ml-libs'],
  [`${SP}/transformers/modeling_utils.py`, 3, 'ml-libs'],
  [`${SP}/jaxlib/xla_extension.so`, 3, 'ml-libs'],
  [`${SP}/cv2/qt/fonts/DejaVuSans.ttf`, 3, 'ml-libs'],
  [`${SP}/opencv_python.libs/libQt5Core-39545cc7.so.5.15.0`, 3, 'ml-libs'],
  [`${SP}/numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so`, 3, 'ml-libs'],
  // caches
  ['/root/.cache/pip/http-v2/a/b/c/d/e/abcde0123.body', 3, 'pip-cache'],
  ['/root/.cache/pip/wheels/aa/bb/torch-2.2.0-cp311-cp311-linux_x86_64.whl', 3, 'pip-cache'],
  ['/home/app/.cache/pip/http/x/y', 3, 'pip-cache'],
  ['/root/.cache/uv/archive-v0/abc/torch/lib/libtorch_cuda.so', 3, 'other-caches'],
  ['/root/.cache/pypoetry/artifacts/ab/cd/numpy-1.26.4.whl', 3, 'other-caches'],
  ['/root/.cache/pypoetry/virtualenvs/app-py3.11/lib/python3.11/site-packages/six.py', 3, 'other'],
  ['/root/.npm/_cacache/content-v2/sha512/ab/cd/ef', 3, 'other-caches'],
  ['/usr/local/share/.cache/yarn/v6/npm-react-18.2.0/package.json', 3, 'other-caches'],
  ['/opt/conda/pkgs/pytorch-2.1.0-py3.11_cuda12.1_cudnn8.9.2_0.tar.bz2', 3, 'conda-cache'],
  ['/opt/conda/pkgs/cache/497deca9.json', 3, 'conda-cache'],
  ['/root/.cache/huggingface/hub/models--facebook--detr-resnet-50/blobs/0123abcd', 3, 'hf-cache'],
  ['/root/.cache/torch/hub/checkpoints/resnet50-0676ba61.pth', 3, 'hf-cache'],
  ['/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', 3, 'apt-lists'],
  ['/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', 0, 'apt-lists'],
  ['/var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb', 3, 'apt-cache'],
  ['/var/cache/apt/pkgcache.bin', 3, 'apt-cache'],
  // weights
  ['/app/models/detector.safetensors', 5, 'model-weights'],
  ['/models/llama-2-7b.Q4_K_M.gguf', 5, 'model-weights'],
  ['/srv/checkpoints/epoch-10.ckpt', 5, 'model-weights'],
  ['/app/models/bert/pytorch_model.bin', 5, 'model-weights'],
  ['/opt/model/onnx/model.onnx', 5, 'model-weights'],
  [`${SP}/distutils-precedence.pth`, 3, 'other'],
  ['/usr/share/vim/vim90/tutor/tutor.pt', 3, 'other'],
  // bytecode, docs, vcs, tests
  [`${SP}/requests/__pycache__/api.cpython-311.pyc`, 3, 'python-bytecode'],
  [`${SP}/torch/__pycache__/functional.cpython-311.pyc`, 3, 'python-bytecode'],
  ['/usr/lib/python3.11/__pycache__/typing.cpython-311.pyc', 3, 'python-bytecode'],
  ['/usr/share/doc/libc6/changelog.Debian.gz', 3, 'docs'],
  ['/usr/share/man/man1/gcc-12.1.gz', 3, 'docs'],
  ['/usr/share/info/gcc-12.info.gz', 3, 'docs'],
  ['/usr/share/locale/de/LC_MESSAGES/gcc-12.mo', 3, 'docs'],
  ['/usr/share/i18n/charmaps/UTF-8.gz', 3, 'docs'],
  ['/usr/share/doc/base-files/copyright', 0, 'docs'],
  ['/app/.git/objects/pack/pack-1234.pack', 5, 'vcs'],
  ['/workspace/repo/.git/index', 5, 'vcs'],
  [`${SP}/numpy/core/tests/test_multiarray.py`, 3, 'tests'],
  [`${SP}/scipy/sparse/tests/data/csr.npz`, 3, 'tests'],
  [`${SP}/pandas/tests/io/data/test.xlsx`, 3, 'tests'],
  ['/usr/lib/python3.11/test/test_typing.py', 3, 'tests'],
  // build tools
  ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1', 3, 'build-tools'],
  ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', 3, 'build-tools'],
  ['/usr/lib/gcc/x86_64-linux-gnu/12/lto1', 3, 'build-tools'],
  ['/usr/bin/x86_64-linux-gnu-gcc-12', 3, 'build-tools'],
  ['/usr/bin/x86_64-linux-gnu-ld.bfd', 3, 'build-tools'],
  ['/usr/bin/make', 3, 'build-tools'],
  ['/usr/bin/cmake', 3, 'build-tools'],
  ['/usr/bin/g++-12', 3, 'build-tools'],
  ['/usr/include/stdio.h', 3, 'build-tools'],
  ['/usr/include/python3.11/Python.h', 3, 'build-tools'],
  ['/usr/lib/x86_64-linux-gnu/libc_nonshared.a', 3, 'build-tools'],
  ['/usr/lib/python3.11/config-3.11-x86_64-linux-gnu/libpython3.11.a', 3, 'build-tools'],
  ['/usr/lib/python3.11/config-3.11-x86_64-linux-gnu/Makefile', 3, 'build-tools'],
  ['/usr/src/linux-headers-6.1.0-18-amd64/Makefile', 3, 'host-driver'],
  ['/var/lib/dkms/nvidia/535.104.05/source/Makefile', 3, 'host-driver'],
  ['/lib/modules/6.1.0-18-amd64/updates/dkms/nvidia.ko', 3, 'host-driver'],
  ['/usr/src/nvidia-535.104.05/nvidia/nv.c', 3, 'host-driver'],
  ['/usr/src/python3.11/Makefile', 3, 'build-tools'],
  ['/usr/lib/x86_64-linux-gnu/libmpfr.so.6.2.0', 3, 'build-tools', 'dpkg:libmpfr6'],
  ['/usr/bin/patch', 3, 'build-tools', 'dpkg:patch'],
  ['/usr/lib/x86_64-linux-gnu/libz.so.1.2.13', 3, 'os-packages', 'dpkg:zlib1g'],
  ['/usr/lib/libcrypto.so.3', 2, 'os-packages', 'apk:libcrypto3'],
  ['/usr/bin/curl', 2, 'os-packages', 'rpm:curl'],
  // Base image, OS packages, app, other
  ['/usr/bin/bash', 0, 'base-image'],
  ['/usr/bin/bash', 0, 'base-image', 'dpkg:bash'],
  ['/etc/passwd', 0, 'base-image'],
  ['/var/log/dpkg.log', 0, 'other'],
  ['/var/lib/dpkg/status', 3, 'os-packages'],
  ['/var/lib/dpkg/status', 0, 'base-image'],
  ['/usr/lib/sysimage/rpm/rpmdb.sqlite', 3, 'os-packages'],
  ['/lib/apk/db/installed', 2, 'os-packages'],
  ['/etc/ld.so.cache', 3, 'os-packages'],
  ['/usr/bin/git', 3, 'os-packages', 'dpkg:git'],
  ['/app/node_modules/left-pad/index.js', 3, 'app', 'npm:left-pad'],
  ['/usr/bin/git', 3, 'other'],
  ['/app/serve.py', 5, 'app'],
  ['/app/serve.py', 0, 'app'],
  ['/srv/api/main.py', 5, 'app'],
  ['/opt/app/run.sh', 5, 'app'],
  ['/workspace/train.py', 5, 'app'],
  ['/usr/local/bin/micromamba', 5, 'other'],
  [`${SP}/requests/api.py`, 3, 'other'],
];

describe('categorize', () => {
  it.each(CASES)('%s (layer %i) is %s', (path, layer, want, owner) => {
    expect(categorize(path, { layer, owner, workingDir: '/app' }).id).toBe(want);
  });

  it('covers every built-in category with the table above', () => {
    const seen = new Set(CASES.map((c) => c[2]));
    for (const id of CATEGORY_IDS) expect(seen, id).toContain(id);
  });

  it('gives every path exactly one category, ending with the other fallback', () => {
    const c = compileRules(DEFAULT_CATEGORY_RULES, []);
    expect(c.categories[c.classify('weird/unknown/path', 5)]!.id).toBe('other');
    expect(c.categories[c.classify('x', 0)]!.id).toBe('base-image');
    // With a 3-layer base image (--base), layer 2 is still the base image's, layer 3 not.
    const b = compileRules(DEFAULT_CATEGORY_RULES, [], 3);
    expect(b.categories[b.classify('x', 2)]!.id).toBe('base-image');
    expect(b.categories[b.classify('x', 3)]!.id).toBe('other');
  });

  it('uses the WorkingDir as an app directory, unless it is a system directory', () => {
    expect(categorize('/code/main.py', { layer: 3, workingDir: '/code' }).id).toBe('app');
    expect(categorize('/usr/local/thing.py', { layer: 3, workingDir: '/usr/local' }).id).toBe('other');
    expect(categorize('/app/main.py', { layer: 3, appDirs: ['/code'] }).id).toBe('other');
    expect(resolveAppDirs(['/srv/'], '/root/project')).toEqual(['srv', 'root/project']);
  });

  // Speed is measured in bench/, not asserted here (noisy machines); this checks that the
  // classifier's per-directory memo never changes an answer across 200k paths.
  it('classifies 200k paths with the memo giving the same answers as a fresh classifier', () => {
    const dirs = ['usr/lib/x86_64-linux-gnu', 'usr/share/doc/pkg', 'opt/venv/lib/python3.11/site-packages/torch/lib', 'app/src', 'root/.cache/pip/http-v2/a/b'];
    const paths: string[] = [];
    for (let i = 0; i < 200_000; i++) paths.push(`${dirs[i % dirs.length]}/d${i % 2000}/f${i}.${['so', 'py', 'pyc', 'txt', 'a'][i % 5]}`);
    const c = compileRules(DEFAULT_CATEGORY_RULES, ['app']);
    const classify = c.classifier();
    const got = paths.map((p) => classify(p, 1));
    for (let i = 0; i < paths.length; i += 997) expect(got[i], paths[i]).toBe(c.classifier()(paths[i]!, 1));
    const ids = new Set(got.map((k) => c.categories[k]!.id));
    expect(ids).toContain('docs');
    expect(ids).toContain('pip-cache');
    expect(ids).toContain('app');
  });
});

describe('globs', () => {
  const cases: Array<[string, string, boolean]> = [
    ['usr/lib/**', 'usr/lib/a/b.so', true],
    ['usr/lib/**', 'usr/lib', false],
    ['**/.git/**', '.git/config', true],
    ['**/.git/**', 'app/.git/objects/ab/cd', true],
    ['**/.git/**', 'app/.gitignore', false],
    ['**/*.a', 'libfoo.a', true],
    ['**/*.a', 'usr/lib/x/libfoo.a', true],
    ['**/*.a', 'usr/lib/x/libfoo.so', false],
    ['usr/local/cuda*/bin/**', 'usr/local/cuda-12.1/bin/nvcc', true],
    ['usr/local/cuda*/bin/**', 'usr/local/cuda/bin/nvcc', true],
    ['usr/*/x', 'usr/a/b/x', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['{opt,usr/local}/libtorch/**', 'usr/local/libtorch/lib/x.so', true],
    ['lib{a,b{c,d}}.so', 'libbd.so', true],
    ['file[0-9].txt', 'file7.txt', true],
    ['file[!0-9].txt', 'filex.txt', true],
    ['file[!0-9].txt', 'file7.txt', false],
    ['q?.txt', 'q1.txt', true],
    ['q?.txt', 'q/.txt', false],
    ['\\*.txt', '*.txt', true],
    ['/etc/ld.so.cache', 'etc/ld.so.cache', true],
  ];
  it.each(cases)('%s vs %s → %s', (glob, path, want) => {
    expect(compileGlob(glob).re.test(path)).toBe(want);
    const s = splitGlob(glob);
    if (s) {
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const base = slash < 0 ? path : path.slice(slash + 1);
      expect(s.dir.test(dir) && (s.base === null || s.base.test(base))).toBe(want);
    }
  });

  it('split matching agrees with whole-path matching for every default pattern', () => {
    const paths = CASES.map((c) => c[0].slice(1)).concat(['', 'a', 'usr', 'usr/lib/gcc', 'opt/conda/pkgs']);
    for (const r of DEFAULT_CATEGORY_RULES) {
      for (const g of typeof r.match === 'string' ? [r.match] : (r.match ?? ['**'])) {
        const whole = compileGlob(g).re;
        const s = splitGlob(g);
        if (!s) continue;
        for (const p of paths.filter((x) => x !== '')) {
          const slash = p.lastIndexOf('/');
          const got = s.dir.test(slash < 0 ? '' : p.slice(0, slash)) && (s.base === null || s.base.test(slash < 0 ? p : p.slice(slash + 1)));
          expect(got, `${g} on ${p}`).toBe(whole.test(p));
        }
      }
    }
  });

  it('rejects malformed patterns', () => {
    expect(() => compileGlob('a{b')).toThrow(/unterminated/);
    expect(() => compileGlob('a**b')).toThrow(/whole path segment/);
    expect(() => compileGlob('[ab')).toThrow(/unterminated/);
    expect(() => compileGlob('')).toThrow(/empty/);
  });
});

describe('loadCategoryRules', () => {
  it('puts user rules before the defaults, so they override them', () => {
    const rules = loadCategoryRules(JSON.stringify({ rules: [{ match: '/opt/acme/**', category: 'vendor', label: 'Acme SDK' }, { match: '**/*.gguf', category: 'app' }] }));
    expect(rules.length).toBe(DEFAULT_CATEGORY_RULES.length + 2);
    expect(categorize('/opt/acme/lib/x.so', { layer: 2, rules })).toEqual({ id: 'vendor', label: 'Acme SDK' });
    expect(categorize('/models/x.gguf', { layer: 2, rules }).id).toBe('app');
    expect(categorize('/usr/bin/gcc', { layer: 2, rules }).id).toBe('build-tools');
  });

  it('accepts a bare array, package rules, and replaceDefaults (keeping the other fallback)', () => {
    const arr = loadCategoryRules([{ package: 'pip:my-*', category: 'app' }]);
    expect(categorize('/x/y.py', { layer: 2, rules: arr, owner: ownerKey('pip', 'My_Lib') }).id).toBe('app');
    const only = loadCategoryRules({ rules: [{ match: 'usr/**', category: 'system' }], replaceDefaults: true });
    expect(only).toHaveLength(2);
    expect(categorize('/usr/bin/gcc', { layer: 0, rules: only }).id).toBe('system');
    expect(categorize('/etc/passwd', { layer: 0, rules: only }).id).toBe('other');
  });

  const bad: Array<[unknown, RegExp]> = [
    ['{not json', /not valid JSON/],
    [{ rules: [{ match: 'a/**', category: 'ok' }, { match: 'b/**', category: 'Bad Id' }] }, /rule 1: field "category"/],
    [[{ match: 'a/**', category: 'ok' }, { match: 'a{b', category: 'x' }], /rule 1: field "match": unterminated/],
    [[{ match: 'a', category: 'x', exclude: ['**x'] }], /rule 0: field "exclude"/],
    [[{ match: 5, category: 'x' }], /rule 0: field "match"/],
    [[{ match: 'a', category: 'x', colour: 'red' }], /rule 0/],
    [{ rules: 'nope' }, /category rules/],
    [null, /category rules/],
  ];
  it.each(bad)('rejects %j with E_BAD_CONFIG', (input, msg) => {
    let err: unknown;
    try {
      loadCategoryRules(input);
    } catch (e) {
      err = e;
    }
    expect(isImgsizeError(err, 'E_BAD_CONFIG')).toBe(true);
    expect((err as Error).message).toMatch(msg);
  });

  it('keeps user labels for built-in ids', () => {
    const rules: CategoryRule[] = [{ match: 'x/**', category: 'docs', label: 'Manuals' }, ...DEFAULT_CATEGORY_RULES];
    expect(categorize('/usr/share/doc/a', { layer: 1, rules }).label).toBe('Manuals');
  });
});

describe('docs/categories.md', () => {
  it('documents every category and every default rule pattern', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../../docs/categories.md', import.meta.url), 'utf8');
    for (const id of CATEGORY_IDS) expect(doc, id).toContain(`| \`${id}\` |`);
    for (const r of DEFAULT_CATEGORY_RULES) {
      for (const g of [...(typeof r.match === 'string' ? [r.match] : (r.match ?? [])), ...(typeof r.package === 'string' ? [r.package] : (r.package ?? []))]) {
        expect(doc, g).toContain(`\`${g.replace(/\|/g, '\\|')}\``);
      }
    }
  });
});

import { describe, expect, it } from 'vitest';
import { applyOverlay } from '../overlay.js';
import { FindingSchema, PullSchema } from '../report-schema.js';
import { attribute, prepareAttribution, runFindings, type AttributeOptions } from './index.js';
import { runCommand } from './findings.js';
import { makeImage, type SpecImage } from './testing.js';

function analyze(spec: SpecImage, options: AttributeOptions = {}) {
  const image = makeImage(spec);
  const overlay = applyOverlay(image.layers.map((l) => l.scan.entries));
  return { image, overlay, ...attribute(image, overlay, { minFindingBytes: 1, ...options }) };
}

const SP = '/opt/venv/lib/python3.11/site-packages';

/** One image with every mistake planted, each with a distinct byte count. */
const PLANTED: SpecImage = {
  env: ['CUDA_VERSION=12.1.1'],
  workingDir: '/app',
  layers: [
    {
      createdBy: '/bin/sh -c #(nop) ADD file:abc in /',
      entries: [{ path: '/bin', link: 'usr/bin' }, '/usr/bin/bash:1000', '/usr/share/doc/base/copyright:100', '/usr/lib/x86_64-linux-gnu/libz.so.1:300'],
    },
    {
      createdBy: 'RUN |1 TARGETARCH=amd64 /bin/sh -c apt-get update && apt-get install -y cuda-libraries-dev-12-1 # buildkit',
      entries: [
        '/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcublas.so.12.1.3.1:4000',
        '/usr/local/cuda-12.1/targets/x86_64-linux/lib/libnppc.so.12:500',
        '/usr/local/cuda-12.1/bin/nvcc:3000',
        '/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcublas_static.a:6000',
        '/var/lib/apt/lists/deb_bookworm_Packages:700',
        '/var/cache/apt/pkgcache.bin:800',
      ],
    },
    {
      createdBy: 'RUN /bin/sh -c apt-get update && apt-get install -y build-essential # buildkit',
      entries: [
        '/usr/bin/x86_64-linux-gnu-gcc-12:2000',
        '/usr/lib/gcc/x86_64-linux-gnu/12/cc1:5000',
        '/usr/include/stdio.h:150',
        '/usr/lib/x86_64-linux-gnu/libc_nonshared.a:250',
        '/usr/share/man/man1/gcc.1.gz:90',
        '/var/lib/apt/lists/more_Packages:1200',
      ],
    },
    {
      createdBy: 'RUN /bin/sh -c pip install torch opencv-python # buildkit',
      entries: [
        `${SP}/nvidia/cublas/lib/libcublas.so.12:4100`,
        `${SP}/torch/lib/libtorch_cpu.so:9000`,
        `${SP}/triton/_C/libtriton.so:1500`,
        `${SP}/cv2/qt/fonts/DejaVuSans.ttf:600`,
        `${SP}/opencv_python.libs/libQt5Core-39545cc7.so.5.15.0:700`,
        `${SP}/opencv_python.libs/libavcodec-9aae2df7.so.59.37.100:800`,
        { path: `${SP}/opencv_python-4.9.0.80.dist-info/METADATA`, content: 'Name: opencv-python\nVersion: 4.9.0.80\n' },
        `${SP}/numpy/core/tests/test_x.py:330`,
        '/root/.cache/pip/http-v2/a/b.body:2500',
        '/root/.cache/uv/archive-v0/x/y.so:1100',
      ],
    },
    {
      createdBy: 'RUN /bin/sh -c micromamba install -y -p /opt/conda ffmpeg # buildkit',
      entries: ['/opt/conda/pkgs/ffmpeg-6.1.1.conda:1300', '/opt/conda/bin/ffmpeg:400'],
    },
    {
      createdBy: 'COPY . /app # buildkit',
      entries: ['/app/main.py:120', '/app/.git/objects/pack/p.pack:1700', '/app/models/m.safetensors:8000', '/root/.cache/huggingface/hub/models--a--b/blobs/abc:900'],
    },
    { createdBy: 'RUN /bin/sh -c rm -f /var/lib/apt/lists/more_Packages # buildkit', entries: ['/var/lib/apt/lists/.wh.more_Packages'] },
    { createdBy: 'RUN /bin/sh -c chmod 644 /app/main.py # buildkit', entries: ['/app/main.py:120'] },
  ],
};

// [id, counted bytes, layers, countedInSavings]
const EXPECTED: Array<[string, number, number[], boolean]> = [
  ['cuda-devel', 9000, [1], true],
  ['cuda-duplicate', 4000, [1], true],
  ['cleanup-in-later-layer', 1200, [2, 6], true],
  ['apt-lists', 700, [1], true],
  ['apt-cache', 800, [1], true],
  ['pip-cache', 2500, [3], true],
  ['package-manager-cache', 1100, [3], true],
  ['conda-cache', 1300, [4], true],
  ['build-tools', 7000, [2], true],
  ['dev-files', 400, [2], true],
  ['opencv-gui', 1300, [3], true],
  ['docs', 90, [2], true],
  ['vcs', 1700, [5], true],
  ['tests', 330, [3], true],
  ['model-weights', 8900, [5], false],
  ['wasted-bytes', 120, [5, 7], true],
];

describe('findings on a planted image', () => {
  const a = analyze(PLANTED);

  it('fires every rule once, with exact byte counts, listed counted-first and largest first', () => {
    const byId = (x: unknown[], y: unknown[]) => String(x[0]).localeCompare(String(y[0]));
    expect(a.findings.map((f) => [f.id, f.bytes, f.layers, f.countedInSavings]).sort(byId)).toEqual([...EXPECTED].sort(byId));
    const order = a.findings.map((f) => [Number(!f.countedInSavings), -f.bytes]);
    expect(order).toEqual([...order].sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!));
    for (const f of a.findings) expect(FindingSchema.safeParse(f).success, f.id).toBe(true);
  });

  it('sums the counted findings into the savings, never counting a byte twice', () => {
    const counted = a.findings.filter((f) => f.countedInSavings);
    expect(a.savings.bytes).toBe(counted.reduce((s, f) => s + f.bytes, 0));
    expect(a.savings.bytes).toBe(31540);
    expect(a.savings.compressedBytes).toBe(counted.reduce((s, f) => s + f.compressedBytes, 0));
  });

  it('names the instruction that introduced the bytes, and both layers of a late cleanup', () => {
    const cleanup = a.findings.find((f) => f.id === 'cleanup-in-later-layer')!;
    expect(cleanup.instruction).toMatch(/build-essential/);
    expect(cleanup.note).toMatch(/layer 6 \(RUN \/bin\/sh -c rm -f/);
    expect(cleanup.fix).toBe('RUN apt-get update && apt-get install -y build-essential \\\n && rm -f /var/lib/apt/lists/more_Packages');
    expect(cleanup.evidence).toEqual([{ path: '/var/lib/apt/lists/more_Packages', bytes: 1200, layer: 2 }]);
    const devel = a.findings.find((f) => f.id === 'cuda-devel')!;
    expect(devel.instruction).toMatch(/cuda-libraries-dev/);
    expect(devel.fix).toMatch(/nvidia\/cuda:12\.1\.1-devel-<os> AS build[\s\S]*nvidia\/cuda:12\.1\.1-base-<os>/);
    expect(a.findings.find((f) => f.id === 'wasted-bytes')!.fix).toMatch(/COPY --chmod/);
  });

  it('says when build tools may be needed at run time (triton / torch inductor)', () => {
    const bt = a.findings.find((f) => f.id === 'build-tools')!;
    expect(bt.confidence).toBe('possible');
    expect(bt.note).toMatch(/triton/);
  });

  it('keeps one CUDA copy: the system copy of a library the wheels also bring', () => {
    const d = a.findings.find((f) => f.id === 'cuda-duplicate')!;
    expect(d.evidence.map((e) => e.path)).toEqual(['/usr/local/cuda-12.1/targets/x86_64-linux/lib/libcublas.so.12.1.3.1']);
    expect(d.note).toMatch(/libcublas: system 4.0 kB, pip 4.1 kB/);
    expect(d.note).toMatch(/also drop 500 B of other system CUDA libraries/);
  });

  it('counts only the GUI extras of the non-headless OpenCV wheel', () => {
    const cv = a.findings.find((f) => f.id === 'opencv-gui')!;
    expect(cv.evidence.map((e) => e.path).sort()).toEqual([`${SP}/cv2/qt/fonts/DejaVuSans.ttf`, `${SP}/opencv_python.libs/libQt5Core-39545cc7.so.5.15.0`]);
  });

  it('computes pull time from compressed bytes and bandwidth', () => {
    const b = analyze(PLANTED, { bandwidthBitsPerSecond: 8e6 });
    for (const f of b.findings) expect(f.pullSeconds).toBeCloseTo(f.compressedBytes / 1e6, 9);
    expect(PullSchema.safeParse(b.pull).success).toBe(true);
    expect(b.pull.bandwidthBitsPerSecond).toBe(8e6);
    expect(b.pull.seconds).toBeCloseTo(b.pull.compressedBytes / 1e6, 9);
    expect(b.pull.afterFixesCompressedBytes).toBe(b.pull.compressedBytes - b.savings.compressedBytes);
    expect(b.savings.pullSeconds).toBeCloseTo(b.savings.compressedBytes / 1e6, 9);
  });
});

describe('no double counting', () => {
  it('lists a finding whose bytes were all claimed earlier, with countedInSavings false', () => {
    const a = analyze({
      layers: [
        { createdBy: 'COPY . /src # buildkit', entries: ['/src/.git/objects/pack/p.pack:5000', '/src/main.py:10'] },
        { createdBy: 'RUN /bin/sh -c rm -rf /src/.git # buildkit', entries: ['/src/.wh..git'] },
      ],
    });
    expect(a.findings.map((f) => [f.id, f.bytes, f.countedInSavings])).toEqual([
      ['cleanup-in-later-layer', 5000, true],
      ['vcs', 5000, false],
    ]);
    expect(a.findings[1]!.note).toMatch(/already counted under cleanup-in-later-layer/);
    expect(a.savings.bytes).toBe(5000);
  });

  it('reports only the unclaimed part of a partly claimed finding', () => {
    const a = analyze({
      layers: [
        { entries: ['/app/.git/a:3000'] },
        { entries: ['/app/.git/b:2000'] },
        { entries: ['/app/.git/.wh.a'] },
      ],
    });
    const vcs = a.findings.find((f) => f.id === 'vcs')!;
    expect([vcs.bytes, vcs.countedInSavings]).toEqual([2000, true]);
    expect(vcs.note).toMatch(/3.0 kB more are already counted under cleanup-in-later-layer/);
    expect(a.savings.bytes).toBe(5000);
  });

  it.each([
    ['planted', PLANTED],
    [
      'overlapping',
      {
        layers: [
          { entries: ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1:700', '/usr/include/zlib.h:50', '/root/.cache/pip/a:400', '/app/.git/HEAD:30', '/usr/local/cuda-12.1/bin/nvcc:900'] },
          { entries: ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1:700', '/root/.cache/pip/b:100', '/usr/local/cuda-12.1/bin/.wh.nvcc'] },
          { entries: ['/usr/lib/gcc/.wh.x86_64-linux-gnu', '/root/.wh..cache', '/app/.git/HEAD:31'] },
        ],
      } satisfies SpecImage,
    ],
  ])('counts every shipped file at most once and never more than it ships (%s)', (_n, spec) => {
    const image = makeImage(spec);
    const overlay = applyOverlay(image.layers.map((l) => l.scan.entries));
    const { analyzed } = prepareAttribution(image, overlay);
    const { claimed, savings, findings } = runFindings(analyzed, { bandwidthBitsPerSecond: 1e9, minBytes: 1 });
    const shipped = analyzed.files.reduce((s, f) => s + f.size, 0);
    expect(shipped).toBe(overlay.shippedBytes);
    const claimedBytes = [...claimed].reduce((s, f) => s + f.size, 0);
    expect(claimedBytes).toBe(savings.bytes);
    expect(findings.filter((f) => f.countedInSavings).reduce((s, f) => s + f.bytes, 0)).toBe(savings.bytes);
    const keys = [...claimed].map((f) => `${f.layer}\0${f.path}\0${f.visible}`);
    expect(new Set(keys).size).toBe(keys.length);
    const wasted = overlay.shippedBytes - overlay.visibleBytes;
    const removableVisible = [...claimed].filter((f) => f.visible).reduce((s, f) => s + f.size, 0);
    expect(savings.bytes).toBeLessThanOrEqual(wasted + removableVisible);
    expect(savings.bytes).toBeLessThanOrEqual(shipped);
  });

  it('drops findings below the size threshold', () => {
    const a = analyze({ layers: [{ entries: ['/app/.git/a:10', '/root/.cache/pip/x:5000'] }] }, { minFindingBytes: 100 });
    expect(a.findings.map((f) => f.id)).toEqual(['pip-cache']);
  });
});

describe('runCommand', () => {
  it.each([
    ['RUN /bin/sh -c apt-get update # buildkit', 'apt-get update'],
    ['RUN |1 TARGETARCH=amd64 /bin/sh -c make && make install # buildkit', 'make && make install'],
    ['/bin/sh -c pip install x', 'pip install x'],
    ['/bin/sh -c #(nop) ADD file:abc in /', undefined],
    ['COPY . /app # buildkit', undefined],
    [null, undefined],
  ])('%s → %s', (createdBy, want) => {
    expect(runCommand(createdBy)).toBe(want);
  });
});

describe('the tests finding names the package manager that owns the files (issue 11)', () => {
  const stanza = (name: string) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nDescription: ${name}\n`;
  const DP = '/usr/lib/python3/dist-packages';
  const debian = (extra: SpecImage['layers'][number]['entries'] = []): SpecImage => ({
    layers: [
      {
        createdBy: 'RUN /bin/sh -c apt-get update && apt-get install -y python3-numpy',
        entries: [
          { path: '/var/lib/dpkg/status', content: stanza('python3-numpy') },
          { path: '/var/lib/dpkg/info/python3-numpy.list', content: `/.\n${DP}/numpy/__init__.py\n${DP}/numpy/tests/test_a.py\n${DP}/numpy/core/tests/test_b.py\n` },
          `${DP}/numpy/__init__.py:100`,
          `${DP}/numpy/tests/test_a.py:4000`,
          `${DP}/numpy/core/tests/test_b.py:3000`,
          ...extra,
        ],
      },
    ],
  });
  const tests = (spec: SpecImage) => analyze(spec).findings.find((f) => f.id === 'tests')!;

  it('Debian python3-* tests get a dpkg fix, never pip install --no-cache-dir', () => {
    const f = tests(debian());
    expect(f.bytes).toBe(7000);
    expect(f.fix).toContain('path-exclude=/usr/lib/python3*/tests/*');
    expect(f.fix).not.toMatch(/pip install/);
  });

  it('pip-installed (or unowned) tests keep the pip fix', () => {
    const f = tests({ layers: [{ createdBy: 'RUN pip install numpy', entries: [`${SP}/numpy/tests/test_a.py:500`] }] });
    expect(f.fix).toMatch(/^RUN pip install --no-cache-dir/);
    expect(f.fix).not.toContain('dpkg');
  });

  it('both: one fix per manager, the biggest first', () => {
    const f = tests(debian([`${SP}/pandas/tests/test_c.py:600`]));
    expect(f.fix.indexOf('# dpkg-owned tests (7.0 kB)')).toBe(0);
    expect(f.fix).toContain('# pip-owned tests (600 B)');
    expect(f.fix.indexOf('path-exclude')).toBeLessThan(f.fix.indexOf('pip install'));
  });
});

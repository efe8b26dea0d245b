/** The Dockerfiles of the rebuild test, their build contexts, the base image, the wheels and an sdist. */
import { execFile, execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { followProgress } from '../sources/helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CACHE = process.env.IMGSIZE_REAL_IMAGE_CACHE ?? '/var/tmp/imgsize-test';

/** One Dockerfile of the test. */
export interface FixCase {
  name: string;
  builder: 'classic' | 'buildkit';
  /** Dockerfile text; `@BASE@` and `@INDEX@` are replaced. */
  dockerfile: string;
  /** Per layer: `base@<FROM line>` or the start line of the instruction that made it. */
  layerLines: Array<number | string>;
  /** Rewrite families the plan must contain (one entry per hunk). */
  families: string[];
  /** Extra context files: path → content (Buffer for binary) or a byte count of random data. */
  files: Record<string, string | number>;
  /** A command run in the fully patched image, and what it must print (the fix kept the app working). */
  check?: { cmd: string[]; stdout: string };
}

export const CASES: FixCase[] = [
  {
    name: 'apt',
    builder: 'classic',
    dockerfile: `FROM @BASE@
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \\
    && apt-get install -y --no-install-recommends less
RUN rm -rf /var/lib/apt/lists/*
RUN apt-get update && apt-get install -y --no-install-recommends file
CMD ["bash"]
`,
    layerLines: ['base@1', 3, 5, 6],
    families: ['apt-lists-cleanup', 'apt-cache-clean', 'apt-cache-clean', 'move-cleanup'],
    files: {},
  },
  {
    name: 'python',
    builder: 'buildkit',
    dockerfile: `FROM @BASE@
ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3-pip \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ARG INDEX=@INDEX@
RUN pip install --index-url $INDEX --trusted-host 127.0.0.1 opencv-python
COPY models/ /models/
RUN chmod -R 755 /models
COPY . /app
CMD ["python3"]
`,
    layerLines: ['base@1', 3, 7, 8, 9, 10],
    families: ['pip-no-cache-dir', 'opencv-headless', 'copy-permissions', 'dockerignore'],
    files: { 'models/a.bin': 6_000_000, 'models/sub/b.bin': 4_000_000, 'app.py': 'print("hi")\n', '.git/objects/pack/pack-1.pack': 7_000_000, '.git/HEAD': 'ref: refs/heads/main\n' },
  },
  {
    name: 'conda',
    builder: 'classic',
    dockerfile: `FROM @BASE@
COPY conda /opt/conda/bin/conda
RUN /opt/conda/bin/conda install -y numpy
COPY data/ /data/
RUN chown -R 1000:1000 /data
RUN apt-get update && apt-get install -y --no-install-recommends file uuid-dev libblkid-dev \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
`,
    layerLines: ['base@1', 2, 3, 4, 5, 6],
    families: ['conda-clean', 'copy-permissions', 'drop-dev-packages'],
    files: {
      conda: `#!/bin/sh
# Stand-in for conda (the real one needs HTTPS): install unpacks into the prefix and keeps the
# package tarball and its extracted copy in /opt/conda/pkgs, as conda does; clean -afy empties pkgs.
set -e
P=/opt/conda
case "$1" in
  install) shift; for p in "$@"; do case "$p" in -*) ;; *)
    mkdir -p "$P/pkgs/$p-1.0/lib" "$P/lib" "$P/conda-meta"
    head -c 6000000 /dev/urandom > "$P/pkgs/$p-1.0.tar.bz2"
    head -c 5000000 /dev/urandom > "$P/pkgs/$p-1.0/lib/lib$p.so"
    cp "$P/pkgs/$p-1.0/lib/lib$p.so" "$P/lib/lib$p.so"
    echo "{\\"name\\": \\"$p\\", \\"version\\": \\"1.0\\", \\"files\\": [\\"lib/lib$p.so\\"]}" > "$P/conda-meta/$p-1.0-0.json" ;; esac; done ;;
  clean) rm -rf "$P"/pkgs/* ;;
  *) echo "conda stand-in: $1 unsupported" >&2; exit 1 ;;
esac
`,
      'data/x.bin': 5_000_000,
      'data/y/z.bin': 3_000_000,
    },
  },
  {
    name: 'multistage',
    builder: 'buildkit',
    dockerfile: `# escape=\\
ARG BASE=@BASE@
FROM \${BASE} AS build
RUN mkdir -p /out && head -c 3000000 /dev/urandom > /out/tool
FROM \${BASE}
ARG APP_DIR=/srv/app
ENV APP_DIR=\${APP_DIR} LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
WORKDIR \${APP_DIR}
COPY --from=build /out/tool ./tool
RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]
RUN apt-get update && apt-get install -y procps \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN head -c 5000000 /dev/urandom > /tmp/scratch.bin \\
    # a comment inside the continuation
    && echo made
RUN rm -f /tmp/scratch.bin
CMD ["bash"]
`,
    layerLines: ['base@5', 8, 9, 10, 11, 13, 16],
    families: ['move-cleanup', 'apt-no-install-recommends'],
    files: {},
  },
  {
    // gcc and python3-dev compile a C extension (an sdist from the local index): the review hunk
    // moves them to a builder stage; the final image gets pip's files and must still import it
    name: 'buildtools',
    builder: 'buildkit',
    dockerfile: `FROM @BASE@
ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3-pip gcc python3-dev \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
ARG INDEX=@INDEX@
RUN pip install --no-cache-dir --no-build-isolation --index-url $INDEX --trusted-host 127.0.0.1 cext
CMD ["python3", "-c", "import cext; print(cext.answer())"]
`,
    layerLines: ['base@1', 3, 7],
    families: ['multistage-build-tools'],
    files: {},
    check: { cmd: ['python3', '-c', 'import cext, shutil; print(cext.answer(), shutil.which("gcc"))'], stdout: '42 None' },
  },
];

/** Writes a case's build context (Dockerfile and files) into `dir`. */
export async function buildContext(c: FixCase, dir: string, vars: { base: string; indexUrl: string }): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), c.dockerfile.replaceAll('@BASE@', vars.base).replaceAll('@INDEX@', vars.indexUrl));
  for (const [p, v] of Object.entries(c.files)) {
    const abs = join(dir, p);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof v === 'number') execFileSync('sh', ['-c', `head -c ${v} /dev/urandom > "$1"`, 'sh', abs]);
    else await writeFile(abs, v);
    if (p === 'conda') await chmod(abs, 0o755);
    else await chmod(abs, 0o644);
  }
}

/** A wheel the local index serves. */
export interface Wheel {
  project: string;
  file: string;
  path: string;
}

/**
 * Makes the two wheels with python3's zipfile: `opencv-python` with the GUI libraries where the
 * real wheel has them (cv2/qt/plugins, opencv_python.libs/libQt5*, libX*), and
 * `opencv-python-headless` with the same cv2 module and no GUI libraries. Payloads are random
 * (incompressible), so compressed and uncompressed savings agree.
 */
export async function makeWheels(dir: string): Promise<Wheel[]> {
  await mkdir(dir, { recursive: true });
  const py = `
import os, sys, zipfile, base64, hashlib
out = sys.argv[1]
def wheel(dist, files):
    name = f"{dist}-4.8.0.76-py3-none-any.whl"
    info = f"{dist}-4.8.0.76.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\\nName: {dist.replace('_','-')}\\nVersion: 4.8.0.76\\n".encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: imgsize-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    rec = []
    for p, b in files.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
        rec.append(f"{p},sha256={h},{len(b)}")
    rec.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\\n".join(rec) + "\\n").encode()
    with zipfile.ZipFile(os.path.join(out, name), "w", zipfile.ZIP_STORED) as z:
        for p, b in files.items():
            z.writestr(p, b)
    return name
rnd = lambda n: os.urandom(n)
core = {"cv2/__init__.py": b"from .cv2 import *\\n", "cv2/cv2.abi3.so": rnd(4_000_000)}
gui = {
    "cv2/qt/plugins/platforms/libqxcb.so": rnd(1_500_000),
    "opencv_python.libs/libQt5Core-e6f3d1a4.so.5.15.0": rnd(6_000_000),
    "opencv_python.libs/libQt5Gui-0e4a5a0e.so.5.15.0": rnd(5_000_000),
    "opencv_python.libs/libX11-xcb-0e257303.so.1.0.0": rnd(2_000_000),
}
print(wheel("opencv_python", {**core, **gui}))
print(wheel("opencv_python_headless", {**core, "opencv_python_headless.libs/libavcodec-abc.so.59": rnd(1_000)}))
# an sdist with a C extension: pip compiles it (gcc, Python.h from python3-dev)
import tarfile, io
src = {
    "cext-1.0/setup.py": b"from setuptools import setup, Extension\\nsetup(name='cext', version='1.0', ext_modules=[Extension('cext', ['cext.c'])])\\n",
    "cext-1.0/PKG-INFO": b"Metadata-Version: 2.1\\nName: cext\\nVersion: 1.0\\n",
    "cext-1.0/cext.c": b'#include <Python.h>\\nstatic PyObject *answer(PyObject *s, PyObject *a) { return PyLong_FromLong(42); }\\nstatic PyMethodDef M[] = {{"answer", answer, METH_NOARGS, ""}, {0}};\\nstatic struct PyModuleDef D = {PyModuleDef_HEAD_INIT, "cext", 0, -1, M};\\nPyMODINIT_FUNC PyInit_cext(void) { return PyModule_Create(&D); }\\n',
}
with tarfile.open(os.path.join(out, "cext-1.0.tar.gz"), "w:gz") as t:
    for p, b in src.items():
        ti = tarfile.TarInfo(p); ti.size = len(b); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(b))
print("cext-1.0.tar.gz")
`;
  const out = await new Promise<string>((res, rej) => execFile('python3', ['-c', py, dir], (e, so, se) => (e ? rej(new Error(`${e.message}: ${se}`)) : res(so))));
  const [full, headless, sdist] = out.trim().split('\n');
  return [
    { project: 'opencv-python', file: full!, path: join(dir, full!) },
    { project: 'opencv-python-headless', file: headless!, path: join(dir, headless!) },
    { project: 'cext', file: sdist!, path: join(dir, sdist!) },
  ];
}

/**
 * The Debian bookworm base image in the engine: test/real-image/build-base.sh's debootstrap rootfs
 * (cached), imported once. `{ reason }` when it cannot be made (no debootstrap, no mirror).
 */
export async function buildBase(docker: Docker, tag: string): Promise<{ ok: true } | { reason: string }> {
  const have = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (have) return { ok: true };
  const tarball = await new Promise<{ path: string } | { reason: string }>((resolve) => {
    execFile('bash', [join(HERE, '..', 'real-image', 'build-base.sh')], { timeout: 1_500_000, env: { ...process.env, IMGSIZE_REAL_IMAGE_CACHE: CACHE } }, (err, stdout, stderr) => {
      if (!err) return resolve({ path: stdout.trim().split('\n').pop()! });
      resolve({ reason: `base rootfs unavailable: ${stderr.trim().split('\n').pop() ?? err.message}` });
    });
  });
  if ('reason' in tarball) return tarball;
  const [repo, t] = tag.split(':') as [string, string];
  const stream = await docker.importImage(createReadStream(tarball.path) as never, { repo, tag: t } as never);
  await followProgress(docker, stream as NodeJS.ReadableStream);
  return { ok: true };
}

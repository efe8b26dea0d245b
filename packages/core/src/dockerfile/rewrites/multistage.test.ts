import { describe, expect, it } from 'vitest';
import type { PackageReport } from '../../report-schema.js';
import { planFix, type FindingPlacement } from '../patch.js';
import { parseDockerfile, type ParsedDockerfile } from '../parse.js';
import { fakeFinding, placeAt } from '../testing.js';

const MB = 1_000_000;
function deb(name: string, mb: number, depends: string[] = [], layer = 1): PackageReport {
  return { manager: 'dpkg', name, layer, visibleBytes: mb * MB, compressedBytes: (mb * MB) / 4, files: 1, wastedBytes: 0, ...(depends.length > 0 && { depends }) };
}
/** bookworm's shape, trimmed: gcc and python3-dev pull a tool chain and headers; python3-pip stays. */
const PACKAGES = [
  deb('libc6', 12, [], 0),
  deb('libexpat1', 0.4, ['libc6'], 0),
  deb('python3', 0.1, ['python3.11', 'libexpat1']),
  deb('python3.11', 20, ['libc6']),
  deb('python3-pip', 8, ['python3-setuptools', 'python3 | python3:any']),
  deb('python3-setuptools', 3, ['python3']),
  deb('gcc', 0.1, ['gcc-12']),
  deb('gcc-12', 40, ['cpp-12', 'binutils', 'libmpc3', 'libgcc-12-dev']),
  deb('cpp-12', 30, ['libmpc3']),
  deb('libmpc3', 0.2, ['libc6']),
  deb('binutils', 10),
  deb('libgcc-12-dev', 15),
  deb('python3-dev', 0.1, ['python3', 'libpython3-dev', 'python3.11-dev']),
  deb('python3.11-dev', 0.5, ['libpython3.11-dev']),
  deb('libpython3-dev', 0.1, ['libpython3.11-dev']),
  deb('libpython3.11-dev', 25, ['libexpat1-dev', 'libc6-dev | libc-dev']),
  deb('libexpat1-dev', 1, ['libexpat1', 'libc6-dev']),
  deb('libc6-dev', 12, ['libc6']),
];

const TEXT = `FROM debian:bookworm
ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3-pip gcc python3-dev \\
    && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements.txt
COPY . /app
CMD ["python3", "/app/main.py"]
`;

function plan(text: string, place: (df: ParsedDockerfile) => FindingPlacement[], safeOnly = false) {
  return planFix({ dockerfileText: text, patchPath: 'Dockerfile', dockerignorePath: '.dockerignore', dockerignoreText: null, placements: place(parseDockerfile(text)), builder: 'buildkit', packages: PACKAGES, safeOnly });
}
const atApt = (line: number) => (df: ParsedDockerfile) => [placeAt(df, fakeFinding('build-tools', 95 * MB), [line]), placeAt(df, fakeFinding('dev-files', 40 * MB), [line])];

describe('multistage-build-tools', () => {
  it('splits a single stage into a builder (pip --root=/install) and a final stage without the build tools (golden)', () => {
    const p = plan(TEXT, atApt(3));
    expect(p.hunks.map((h) => [h.family, h.review])).toEqual([['multistage-build-tools', true]]);
    expect(p.patch).toBe(`# imgsize fix 1 [review]: build-tools (build-tools finding): build in a "builder" stage (pip install --root=/install, Dockerfile:7) and copy only its files into a final stage without gcc, python3-dev (Dockerfile:3); predicted savings 134.0 MB uncompressed, 33.5 MB compressed; predicted: the packages apt then does not install (12, by the image's dpkg dependencies); shared libraries among them (libmpc3): add to the final stage the ones the built modules link; keep the tools if the application compiles at run time
--- ./Dockerfile
+++ ./Dockerfile
@@ -1,9 +1,17 @@
-FROM debian:bookworm
+FROM debian:bookworm AS builder
 ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
 RUN apt-get update \\
     && apt-get install -y --no-install-recommends python3-pip gcc python3-dev \\
     && apt-get clean && rm -rf /var/lib/apt/lists/*
 COPY requirements.txt /tmp/
-RUN pip install --no-cache-dir -r /tmp/requirements.txt
+RUN pip install --root=/install --no-cache-dir -r /tmp/requirements.txt
+
+FROM debian:bookworm
+ENV DEBIAN_FRONTEND=noninteractive PIP_BREAK_SYSTEM_PACKAGES=1
+RUN apt-get update \\
+    && apt-get install -y --no-install-recommends python3-pip \\
+    && apt-get clean && rm -rf /var/lib/apt/lists/*
+COPY requirements.txt /tmp/
+COPY --from=builder /install /
 COPY . /app
 CMD ["python3", "/app/main.py"]
`);
    // predicted: gcc's and python3-dev's closure; python3, pip, setuptools and libexpat1 stay
    expect(p.hunks[0]!.bytes).toBe(Math.round((0.1 + 40 + 30 + 0.2 + 10 + 15 + 0.1 + 0.5 + 0.1 + 25 + 1 + 12) * MB));
    // the final stage's instructions are the originals: a second plan on the result changes nothing
    const again = plan(p.dockerfile, atApt(11));
    expect(again.hunks).toEqual([]);
    expect(again.declined).toEqual([]);
    expect(plan(TEXT, atApt(3), true).hunks).toEqual([]);
  });

  it('removes the apt RUN when it installed only build tools, and keeps a named AS', () => {
    const text = 'FROM python:3.11-slim AS app\nRUN apt-get update && apt-get install -y build-essential && rm -rf /var/lib/apt/lists/*\nRUN pip install --no-cache-dir numpy==1.26.4\nCMD ["python"]\n';
    const p = plan(text, (df) => [placeAt(df, fakeFinding('build-tools', 1), [2])]);
    expect(p.dockerfile).toBe(
      'FROM python:3.11-slim AS builder\nRUN apt-get update && apt-get install -y build-essential && rm -rf /var/lib/apt/lists/*\nRUN pip install --root=/install --no-cache-dir numpy==1.26.4\n\nFROM python:3.11-slim AS app\nCOPY --from=builder /install /\nCMD ["python"]\n',
    );
    expect(plan(p.dockerfile, (df) => [placeAt(df, fakeFinding('build-tools', 1), [6])]).hunks).toEqual([]);
  });

  it('global ARGs stay in front of both stages; python3 -m pip and a venv pip are edited in place', () => {
    const text = '# syntax=docker/dockerfile:1\nARG BASE=debian:bookworm\nFROM --platform=linux/amd64 ${BASE}\nRUN apt-get update && apt-get install -y --no-install-recommends g++ python3-venv\nRUN python3 -m venv /opt/venv\nRUN /opt/venv/bin/python -m pip install \\\n    pybind11==2.11.1\n';
    const p = plan(text, (df) => [placeAt(df, fakeFinding('build-tools', 1), [4])]);
    expect(p.dockerfile).toBe(
      '# syntax=docker/dockerfile:1\nARG BASE=debian:bookworm\nFROM --platform=linux/amd64 ${BASE} AS builder\nRUN apt-get update && apt-get install -y --no-install-recommends g++ python3-venv\nRUN python3 -m venv /opt/venv\nRUN /opt/venv/bin/python -m pip install --root=/install \\\n    pybind11==2.11.1\n\n' +
        'FROM --platform=linux/amd64 ${BASE}\nRUN apt-get update && apt-get install -y --no-install-recommends python3-venv\nRUN python3 -m venv /opt/venv\nCOPY --from=builder /install /\n',
    );
    expect(p.origins).toEqual([0, null, null, null, null, 1, 2, 3, 4]);
  });

  it('shapes it does not understand: no hunk, and why', () => {
    const why = (text: string, line: number) => {
      const p = plan(text, (df) => [placeAt(df, fakeFinding('build-tools', 1), [line])]);
      expect(p.hunks, text).toEqual([]);
      return p.declined.map((d) => `${d.family}: ${d.reason}`);
    };
    const A = 'FROM d\nRUN apt-get update && apt-get install -y gcc\n';
    expect(why(`${A}RUN make\n`, 2)).toEqual(['multistage-build-tools: no pip install after the build tools: which products a builder stage should hand over is not known']);
    expect(why(`${A}RUN pip install a\nRUN pip install b\n`, 2)[0]).toContain('2 RUNs install with pip');
    expect(why(`${A}RUN pip install --user a\n`, 2)[0]).toContain('already chooses where pip installs');
    expect(why(`${A}RUN pip install a && python -c 'import a'\n`, 2)[0]).toContain('does more than one pip install');
    expect(why(`${A}COPY . /src\nRUN cd /src && make\nRUN pip install /src\n`, 2)[0]).toContain('Dockerfile:4 runs a compiler');
    expect(why('FROM d AS b\nRUN true\nFROM d\nRUN apt-get install -y gcc\nRUN pip install a\n', 4)[0]).toContain('2 stages');
    expect(why('FROM d\nRUN apt-get install -y $TOOLS\nRUN pip install a\n', 2)[0]).toContain('the build tools are not installed by an apt-get install');
    expect(why('FROM d\nRUN apt-get install -y gcc $MORE\nRUN pip install a\n', 2)[0]).toContain('through variables');
    expect(why('FROM d\nRUN apt-get install -y gcc && pip install a\n', 2)[0]).toContain('in the same RUN');
  });
});

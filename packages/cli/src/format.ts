/**
 * Number formatting shared by every renderer. Sizes use decimal units (1 GB = 10^9 bytes), as
 * registries and `docker images` do; every size a renderer prints says whether it is compressed.
 */
const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** "8.40 GB", "512 B". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const neg = n < 0;
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  const s = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${neg ? '-' : ''}${s} ${UNITS[u]}`;
}

/** "+1.20 GB" / "-300 MB" / "0 B". */
export function formatDelta(n: number): string {
  return n > 0 ? `+${formatBytes(n)}` : formatBytes(n);
}

/** "87 s", "14 min 3 s", "1.2 s", "23 ms". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s === 0) return '0 s';
  if (s < 0.1) return `${Math.max(1, Math.round(s * 1000))} ms`;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  const r = Math.round(s - m * 60);
  if (m < 120) return r === 0 ? `${m} min` : `${m} min ${r} s`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatPercent(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/**
 * Escapes what could drive the terminal or reorder the text: C0/C1 control characters (ESC …) as
 * `\x1b`, and the Unicode bidi controls U+200E/U+200F, U+202A–U+202E and U+2066–U+2069 as
 * `\u202e`, so `opt/rtl\u202egpj.exe` cannot display as `rtlexe.jpg` (issue 16). The one escaping
 * function of every renderer: terminal, Markdown and the HTML page's script (bundled from here).
 * `keepNewlines` keeps `\n` for text shown as preformatted lines (the HTML page's fixes).
 */
export function safeText(s: string, keepNewlines = false): string {
  return s.replace(UNSAFE_CHARS, (c) => {
    if (keepNewlines && c === '\n') return c;
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** "1,639": counts with thousands separators, the same in every renderer. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '?';
}

/** Cuts `s` to `width` columns with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 1) return s.slice(0, Math.max(0, width));
  return s.length <= width ? s : `${s.slice(0, width - 1)}…`;
}

/** Shortens `sha256:abcdef…` to 12 hex digits. */
export function shortDigest(d: string | undefined): string {
  if (!d) return '-';
  const hex = d.includes(':') ? d.slice(d.indexOf(':') + 1) : d;
  return hex.slice(0, 12);
}

/**
 * A history entry's `created_by` as the Dockerfile line it came from, on one line and escaped:
 * without `/bin/sh -c #(nop) `, BuildKit's `|N ARG=… /bin/sh -c` prefix and `# buildkit` suffix.
 * Shared by the terminal, Markdown and the HTML page.
 */
export function cleanInstruction(s: string | null | undefined): string {
  if (!s) return '';
  let t = s.replace(/\s+/g, ' ').trim();
  t = t.replace(/^\/bin\/sh -c #\(nop\)\s*/, '');
  // BuildKit records `RUN |2 A=1 B=2 /bin/sh -c cmd` (the build args in scope, then the shell).
  t = t.replace(/^(?:RUN )?\|\d+ (?:\S+=\S* )*\/bin\/(?:ba)?sh -c /, 'RUN ');
  t = t.replace(/^(?:RUN )?\/bin\/(?:ba)?sh -c /, 'RUN ');
  t = t.replace(/ # buildkit$/, '');
  return safeText(t);
}

/** Parses "1Gbps", "100Mbps", "500 Mbit/s", "12.5MB/s" to bits per second. */
export function parseBandwidth(s: string): number {
  const m = /^\s*([\d.]+)\s*([kmgt]?)(bps|bit\/s|b\/s|B\/s|Bps)?\s*$/i.exec(s);
  if (!m) throw new Error(`bandwidth "${s}" is not like 1Gbps, 200Mbps or 50MB/s`);
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
  const v = Number(m[1]) * mult[m[2]!.toLowerCase()]!;
  const unit = m[3] ?? 'bps';
  const bytesUnit = unit === 'B/s' || unit === 'Bps';
  const bits = bytesUnit ? v * 8 : v;
  if (!(bits > 0)) throw new Error(`bandwidth "${s}" must be positive`);
  return bits;
}

/**
 * The report as indented JSON, except `files.entries`: one `[path, shipped, visible, …]` row per line,
 * which keeps `--include-files` output compact (JSON.stringify would spread each row over 5 lines).
 */
export function stringifyReport(report: { files?: { entries: unknown[] } | undefined }): string {
  if (!report.files) return `${JSON.stringify(report, null, 2)}\n`;
  const token = `@@imgsize-files-${Math.random().toString(36).slice(2)}@@`;
  const text = JSON.stringify({ ...report, files: { ...report.files, entries: token } }, null, 2);
  const rows = report.files.entries;
  const body = rows.length === 0 ? '[]' : `[\n${rows.map((r) => `      ${JSON.stringify(r)}`).join(',\n')}\n    ]`;
  return `${text.replace(`"${token}"`, () => body)}\n`;
}

/** `Dockerfile:12` (or `Dockerfile:3 (base image)`) for a finding located with --dockerfile; '' otherwise. */
export function dockerfileLabel(loc: { path: string; line: number; base: boolean } | undefined): string {
  if (!loc) return '';
  const name = loc.path.split(/[\\/]/).pop() || loc.path;
  return `${name}:${loc.line}${loc.base ? ' (base image)' : ''}`;
}

/** The OS of a report in one phrase (`Alpine Linux v3.11`, else `alpine 3.11.5`), or undefined. */
export function describeOs(os: { id: string; versionId?: string | undefined; prettyName?: string | undefined } | undefined): string | undefined {
  if (!os) return undefined;
  return os.prettyName ?? `${os.id}${os.versionId ? ` ${os.versionId}` : ''}`;
}

/** The base image of a report in one phrase: its layers and how they were identified. */
export function describeBaseImage(b: { layers: number; method: string; guessed: boolean; name?: string | undefined } | undefined): string | undefined {
  if (!b) return undefined;
  const layers = `${b.layers} layer${b.layers === 1 ? '' : 's'}`;
  const how = { option: '--base', dockerfile: 'Dockerfile FROM', annotation: 'OCI annotation', 'first-layer-guess': 'guess' }[b.method] ?? b.method;
  return `${b.name ? `${b.name}: ` : ''}${layers}${b.guessed ? ' (the first layer, a guess)' : ` (${how})`}`;
}

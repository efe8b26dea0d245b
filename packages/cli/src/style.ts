/** Minimal ANSI styling. Whether to colour is decided once (colorEnabled) and handed to renderers. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  enabled: boolean;
}

/** `--color` values. */
export type ColorMode = 'auto' | 'always' | 'never';

/**
 * The colour decision, in Node's order: `--color always|never` wins; then FORCE_COLOR (any value but
 * `0`/`false` forces colour on, `0`/`false` forces it off); then NO_COLOR (set and non-empty: off);
 * then TERM=dumb (off); else colour when the stream is a terminal.
 */
export function colorEnabled(mode: ColorMode, stream: { isTTY?: boolean } | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream?.isTTY);
}

/** A Style that colours when `enabled`; a stream is accepted for older callers (colour when it is a TTY, by colorEnabled). */
export function createStyle(enabled: boolean | NodeJS.WriteStream | undefined, force?: boolean): Style {
  const on = typeof enabled === 'boolean' ? enabled : (force ?? colorEnabled('auto', enabled));
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    enabled: on,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

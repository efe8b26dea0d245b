/**
 * Progress on stderr while long work runs: a line redrawn in place (`\r\e[2K`), only on a terminal that
 * can redraw (not TERM=dumb), never with --quiet; stdout stays clean.
 */
import type { Progress } from '@imgsize/core';
import { formatBytes, safeText } from './format.js';
import type { CommandContext } from './commands/command.js';

export function createProgress(ctx: CommandContext): { update: (p: Progress) => void; done: () => void } {
  const active = !ctx.quiet && Boolean(ctx.stderr.isTTY) && ctx.env.TERM !== 'dumb';
  let shown = false;
  let last = 0;
  let lastKey = '';
  return {
    update(p) {
      if (!active) return;
      const now = Date.now();
      // At most 10 redraws a second, but a new phase or layer is always shown.
      const key = `${p.phase}\0${p.layer ?? ''}`;
      if (now - last < 100 && key === lastKey) return;
      last = now;
      lastKey = key;
      const of = p.totalBytes ? ` / ${formatBytes(p.totalBytes)}` : '';
      const layer = p.layer ? ` ${safeText(p.layer.slice(0, 40))}` : '';
      ctx.stderr.write(`\r\u001b[2K${p.phase} ${formatBytes(p.bytes)}${of}${layer}`);
      shown = true;
    },
    done() {
      if (shown) ctx.stderr.write('\r\u001b[2K');
    },
  };
}

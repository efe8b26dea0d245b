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
  return {
    update(p) {
      if (!active) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
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

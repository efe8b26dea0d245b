/**
 * Build time per Dockerfile step, from the image history's `created` timestamps: step i took
 * created[i] − created[i−1]. Only where the timestamps mean something: all present and parseable,
 * never decreasing, not all equal (SOURCE_DATE_EPOCH or rewrite-timestamp builds stamp one
 * constant), not the Unix epoch. A gap over BUILD_GAP_SECONDS is the boundary between the base
 * image's build and this one, not a step.
 */
import { z } from 'zod';

/** Gaps longer than this between two steps are a different build (base image), not a step. */
export const BUILD_GAP_SECONDS = 6 * 3600;

export const BuildStepSchema = z.object({
  historyIndex: z.number().int().nonnegative(),
  createdBy: z.string(),
  seconds: z.number().nonnegative(),
  layerIndex: z.number().int().nonnegative().nullable(),
});

/** Build time per step (from history timestamps); `meaningful: false` says why there is none. */
export const BuildTimeSchema = z.object({
  meaningful: z.boolean(),
  /** Why the timestamps cannot give step times (when meaningful is false). */
  reason: z.string().optional(),
  /** Seconds from the first step of this build to its last. */
  totalSeconds: z.number().nonnegative().optional(),
  /** Steps of this build, slowest first. */
  steps: z.array(BuildStepSchema),
});

export type BuildTimeReport = z.infer<typeof BuildTimeSchema>;
export type BuildStep = z.infer<typeof BuildStepSchema>;

/** History facts the step times need. */
export interface BuildHistoryFacts {
  createdBy: string;
  created?: string | undefined;
  layerIndex: number | null;
}

/** Computes step times from the history, or says why the timestamps are not meaningful. */
export function buildTimeFromHistory(history: readonly BuildHistoryFacts[], top = 10): BuildTimeReport {
  const no = (reason: string): BuildTimeReport => ({ meaningful: false, reason, steps: [] });
  if (history.length < 2) return no('fewer than two history entries');
  const times: number[] = [];
  for (const h of history) {
    const t = h.created === undefined ? NaN : Date.parse(h.created);
    if (!Number.isFinite(t)) return no('a history entry has no valid created timestamp');
    times.push(t / 1000);
  }
  if (times.some((t) => t <= 0)) return no('timestamps are the Unix epoch (a reproducible build)');
  if (times.every((t) => t === times[0])) return no('every step has the same timestamp (SOURCE_DATE_EPOCH or a rewritten timestamp)');
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < times[i - 1]!) return no(`timestamps decrease at history entry ${i}`);
  }
  // This build = the steps after the last gap that looks like a different build.
  let first = 0;
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > BUILD_GAP_SECONDS) first = i;
  const steps: BuildStep[] = [];
  for (let i = Math.max(1, first + 1); i < history.length; i++) {
    steps.push({ historyIndex: i, createdBy: history[i]!.createdBy, seconds: times[i]! - times[i - 1]!, layerIndex: history[i]!.layerIndex });
  }
  if (steps.length === 0) return no('only one step after the base image');
  if (steps.every((s) => s.seconds === 0)) return no('every step of this build has the same timestamp (SOURCE_DATE_EPOCH or a rewritten timestamp)');
  steps.sort((a, b) => b.seconds - a.seconds || a.historyIndex - b.historyIndex);
  return { meaningful: true, totalSeconds: times[times.length - 1]! - times[first]!, steps: steps.slice(0, top) };
}

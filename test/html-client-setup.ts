/**
 * Vitest global setup: bundles the HTML report's script (scripts/build-html-client.mjs) before
 * any test imports page.ts, so `npx vitest run` works in a fresh clone without `pnpm build`.
 */
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildHtmlClient } from '../scripts/build-html-client.mjs';

export default async function setup(): Promise<void> {
  await buildHtmlClient();
}

/** Turns zod issues into one readable line: "categories.pip-cache: "5 MBs" is not a size; …". */
import type { z } from 'zod';

/** Returns the first `max` issues as `path: message`, joined with "; ". */
export function formatZodIssues(error: z.ZodError, max = 4): string {
  const parts = error.issues.slice(0, max).map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
    return path === '' ? i.message : `${path}: ${i.message}`;
  });
  const more = error.issues.length - max;
  return more > 0 ? `${parts.join('; ')}; and ${more} more` : parts.join('; ');
}

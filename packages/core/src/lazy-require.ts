/**
 * A CommonJS dependency loaded on first use, synchronously. `yaml` and `dockerfile-ast` cost ~60
 * and ~35 module files at start-up; most runs (`analyze` without a `.dive-ci` or a Dockerfile)
 * never call them, so their importers load them through this instead of a static import.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Returns a getter that `require`s `id` the first time it is called. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

// Library-level probe used by bench/run.mjs: analyzes an archive (or '-' for stdin) and prints
// time, entries, compressed estimate and RSS. 'nosample' turns the compression sampler off.
import { analyzeImage, openDockerArchive } from '@imgsize/core';

const f = process.argv[2];
const noSample = process.argv[3] === 'nosample';
const t0 = performance.now();
const r = await analyzeImage(openDockerArchive(f === '-' ? process.stdin : f), noSample ? { scan: { plugins: [] } } : {});
console.log(`${((performance.now() - t0) / 1000).toFixed(2)}s`, r.summary.entries, r.summary.compressedBytes, `${(process.memoryUsage().rss / 1e6) | 0} MB`);

// Where the memory goes: heap after each stage of a fast-path analysis (node --expose-gc).
import { openDockerArchive, buildReport } from '@imgsize/core';
import { createCompressionSampler } from '../packages/core/dist/attribution/compressed-size.js';
const mb = () => { global.gc(); const m = process.memoryUsage(); return `heap ${(m.heapUsed / 1e6) | 0} MB, rss ${(m.rss / 1e6) | 0} MB`; };
console.log('start', mb());
const img = await openDockerArchive(process.argv[2]).load({ scan: { plugins: [() => createCompressionSampler()] } });
console.log('loaded', mb());
const r = buildReport(img, {});
console.log('report', mb(), r.summary.entries);

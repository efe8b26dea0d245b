// Header walk only: the positional tar walker over every layer of a docker-save archive, with a
// visitor that wants nothing (what `tar -tf` does). Usage: node bench/walk.mjs archive.tar
import { open } from 'node:fs/promises';
import { walkTarRegion } from '../packages/core/dist/tar/positional-walker.js';

const fh = await open(process.argv[2], 'r');
const { size } = await fh.stat();
const layers = [];
await walkTarRegion(fh, 0, size, { entry: (h) => (h.name.endsWith('/layer.tar') && layers.push([h.offset, h.size]), null) });
let entries = 0;
for (const [off, len] of layers) entries += (await walkTarRegion(fh, off, len, { entry: () => null })).entries;
await fh.close();
console.log(`${layers.length} layers, ${entries} entries`);

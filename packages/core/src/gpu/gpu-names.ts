/**
 * GPU architectures (sm numbers) and the products that have them, and the parser of a GPU target
 * (`--gpu sm_80,h100`, `--gpu none`). Compute capabilities as NVIDIA's CUDA GPUs list gives them.
 */
import { ImgsizeError } from '../errors.js';

/** Architecture number → generation and the usual products. */
export const GPU_ARCHS: Readonly<Record<number, { family: string; gpus: string }>> = {
  30: { family: 'Kepler', gpus: 'GTX 680, K10' },
  35: { family: 'Kepler', gpus: 'K20, K40' },
  37: { family: 'Kepler', gpus: 'K80' },
  50: { family: 'Maxwell', gpus: 'GTX 750, M10' },
  52: { family: 'Maxwell', gpus: 'GTX 9xx, M40, M60' },
  53: { family: 'Maxwell', gpus: 'Jetson Nano' },
  60: { family: 'Pascal', gpus: 'P100' },
  61: { family: 'Pascal', gpus: 'P4, P40, GTX 10xx' },
  62: { family: 'Pascal', gpus: 'Jetson TX2' },
  70: { family: 'Volta', gpus: 'V100' },
  72: { family: 'Volta', gpus: 'Jetson Xavier' },
  75: { family: 'Turing', gpus: 'T4, RTX 20xx' },
  80: { family: 'Ampere', gpus: 'A100, A30' },
  86: { family: 'Ampere', gpus: 'A10, A40, RTX 30xx' },
  87: { family: 'Ampere', gpus: 'Jetson Orin' },
  89: { family: 'Ada', gpus: 'L4, L40, RTX 40xx' },
  90: { family: 'Hopper', gpus: 'H100, H200' },
  100: { family: 'Blackwell', gpus: 'B200, GB200' },
  101: { family: 'Blackwell', gpus: 'Jetson Thor' },
  103: { family: 'Blackwell', gpus: 'B300, GB300' },
  110: { family: 'Blackwell', gpus: 'Jetson Thor' },
  120: { family: 'Blackwell', gpus: 'RTX 50xx, RTX PRO 6000' },
  121: { family: 'Blackwell', gpus: 'DGX Spark (GB10)' },
};

/** Product names (lowercase, no spaces or dashes) → architecture. */
const PRODUCTS: Readonly<Record<string, number>> = {
  k80: 37, k40: 35, k20: 35, m40: 52, m60: 52, p100: 60, p4: 61, p40: 61, v100: 70, t4: 75,
  a100: 80, a30: 80, a10: 86, a10g: 86, a16: 86, a2: 86, a40: 86, a6000: 86, rtxa6000: 86,
  l4: 89, l40: 89, l40s: 89, rtx6000ada: 89, h100: 90, h200: 90, h800: 90, gh200: 90,
  b100: 100, b200: 100, gb200: 100, b300: 103, gb300: 103, rtxpro6000: 120, gb10: 121,
  rtx2080: 75, rtx2080ti: 75, rtx3080: 86, rtx3090: 86, rtx4080: 89, rtx4090: 89, rtx5080: 120, rtx5090: 120,
  jetsonorin: 87, orin: 87, xavier: 72, jetsonnano: 53, thor: 110,
};

/** "sm_80" for 80. */
export function smName(sm: number): string {
  return `sm_${sm}`;
}

/** The usual products of an architecture ("A100, A30"), or "" when unknown. */
export function gpuNames(sm: number): string {
  return GPU_ARCHS[sm]?.gpus ?? '';
}

/** A parsed `--gpu` value: the architectures deployed on, or none (CPU only). */
export interface GpuTarget {
  /** The value as given. */
  spec: string;
  none: boolean;
  /** Sorted, unique architecture numbers (empty when `none`). */
  archs: number[];
}

/**
 * Parses a GPU target: `none`, or a comma list of architectures (`sm_80`, `sm80`, `compute_80`,
 * `80`, `8.0`) and products (`a100`, `H100`, `rtx-4090`). Throws E_USAGE naming an unknown item.
 */
export function parseGpuTarget(spec: string): GpuTarget {
  const items = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new ImgsizeError('E_USAGE', 'empty gpu target', { hint: 'use e.g. --gpu sm_80,sm_90, --gpu a100,h100 or --gpu none' });
  if (items.length === 1 && items[0]!.toLowerCase() === 'none') return { spec, none: true, archs: [] };
  const archs = new Set<number>();
  for (const raw of items) {
    const s = raw.toLowerCase().replace(/[\s_-]/g, '');
    let sm: number | undefined;
    const m = /^(?:sm|compute)?(\d{2,3})[af]?$/.exec(s);
    const dotted = /^(\d{1,2})\.(\d)$/.exec(s);
    if (m) sm = Number(m[1]);
    else if (dotted) sm = Number(dotted[1]) * 10 + Number(dotted[2]);
    else sm = PRODUCTS[s.replace(/^(?:nvidia|geforce|tesla)/, '')];
    if (sm === undefined || sm < 10) {
      throw new ImgsizeError('E_USAGE', `unknown gpu ${JSON.stringify(raw)} in the gpu target`, {
        hint: 'name architectures (sm_80, 8.6) or products (a100, h100, l4, t4, rtx4090), or use none',
      });
    }
    if (raw.toLowerCase() === 'none') throw new ImgsizeError('E_USAGE', 'gpu target "none" cannot be combined with gpus');
    archs.add(sm);
  }
  return { spec, none: false, archs: [...archs].sort((a, b) => a - b) };
}

/**
 * True when SASS built for `sm` runs on a GPU of architecture `target`: same major version and a
 * minor version not above the GPU's (cubins are binary-compatible within a major version).
 */
export function sassRunsOn(sm: number, target: number): boolean {
  return Math.floor(sm / 10) === Math.floor(target / 10) && sm <= target;
}

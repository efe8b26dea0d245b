/** The "GPU kernels" section of the report (zod; `Report.gpu`, optional). */
import { z } from 'zod';
import { GPU_WARNING_CODES } from './fatbin.js';

const Bytes = z.number().int().nonnegative();
const Count = z.number().int().nonnegative();

export const GpuArchSchema = z.object({
  /** `sm_80`, the architecture; PTX entries are named by the architecture they target. */
  arch: z.string(),
  sm: Count,
  kind: z.enum(['sass', 'ptx', 'other']),
  /** Usual products of the architecture ("A100, A30"). */
  gpus: z.string(),
  entries: Count,
  /** Stored bytes (entry headers + payloads as shipped, compressed payloads at their stored size). */
  bytes: Bytes,
  /** Payload bytes once decompressed. */
  uncompressedBytes: Bytes,
  files: Count,
});

export const GpuFileSchema = z.object({
  path: z.string(),
  layer: Count,
  /** Bytes of the file's fatbin sections. */
  fatbinBytes: Bytes,
  fileBytes: Bytes,
  /** Owning package as `manager:name`, when known. */
  package: z.string().nullable(),
  category: z.string(),
  /** SASS architectures (`sm_80`) and PTX architectures in the file. */
  sass: z.array(z.string()),
  ptx: z.array(z.string()),
});

export const TorchBuildSchema = z.object({
  variant: z.enum(['cpu', 'cuda', 'rocm']),
  version: z.string().optional(),
  /** CUDA version the build targets (`12.1`), ROCm version for ROCm builds. */
  cudaVersion: z.string().optional(),
  rocmVersion: z.string().optional(),
  /** Where the variant was read: torch/version.py, the dist-info name, or the libraries present. */
  evidence: z.enum(['version.py', 'dist-info', 'libraries']),
  path: z.string(),
  /** Visible bytes of the torch package. */
  bytes: Bytes.optional(),
});

export const GpuReportSchema = z.object({
  /** Visible files with fat binaries, and their fatbin bytes (uncompressed sizes as stored in the files). */
  files: Count,
  fatbinBytes: Bytes,
  /** Fatbin bytes of copies hidden by later layers (already counted as waste). */
  hiddenFatbinBytes: Bytes,
  sassBytes: Bytes,
  ptxBytes: Bytes,
  archs: z.array(GpuArchSchema),
  topFiles: z.array(GpuFileSchema),
  packages: z.array(z.object({ package: z.string(), bytes: Bytes, files: Count })),
  categories: z.array(z.object({ category: z.string(), bytes: Bytes })),
  layers: z.array(z.object({ layer: Count, bytes: Bytes })),
  /** The `--gpu` target and what it leaves unused. */
  target: z
    .object({
      spec: z.string(),
      none: z.boolean(),
      archs: z.array(z.string()),
      /** Kernel bytes only other GPUs use (SASS they cannot run, PTX they do not need). */
      otherGpuBytes: Bytes,
      /** PTX of each file's newest architecture: kept for GPUs newer than the target (forward compatibility). */
      forwardCompatPtxBytes: Bytes,
    })
    .optional(),
  torch: TorchBuildSchema.optional(),
  /** pip `nvidia-*` wheels and triton, with their visible bytes. */
  wheels: z.array(z.object({ name: z.string(), version: z.string().optional(), bytes: Bytes })),
  /** Kernel modules, DKMS trees and kernel sources shipped in the image (the host provides the driver). */
  hostDriver: z.object({ bytes: Bytes, files: Count, nvidia: z.boolean(), paths: z.array(z.string()) }).optional(),
  warnings: z.array(z.object({ code: z.enum(GPU_WARNING_CODES), path: z.string(), layer: Count, message: z.string() })),
});

export type GpuReport = z.infer<typeof GpuReportSchema>;
export type TorchBuild = z.infer<typeof TorchBuildSchema>;

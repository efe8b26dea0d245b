/**
 * The shape of a rewrite: a pure function of (parsed Dockerfile, located finding) that returns the
 * new text of one file, or null when the instruction is not one it understands (it never touches
 * what it does not understand) or when the fix is already there (so applying twice is a no-op).
 */
import type { Finding, PackageReport } from '../../report-schema.js';
import type { DockerfileInstruction, ParsedDockerfile } from '../parse.js';

/** A finding with the Dockerfile instructions of its layers. */
export interface LocatedFinding {
  finding: Finding;
  /** Instruction of the layer with most of the finding's bytes. */
  main: DockerfileInstruction | undefined;
  /** Instruction of each layer the finding names (`finding.layers`), when mapped. */
  byLayer: ReadonlyMap<number, DockerfileInstruction>;
  /** Bytes (uncompressed, compressed) of the finding per layer. */
  layerBytes: ReadonlyMap<number, { bytes: number; compressedBytes: number }>;
  builder: 'classic' | 'buildkit' | 'unknown';
  /** The report's packages (for rewrites whose savings are package sizes). */
  packages?: readonly PackageReport[] | undefined;
  /** The instruction as the user wrote it (before earlier hunks edited it), when it is one of theirs. */
  original?: ((ins: DockerfileInstruction) => DockerfileInstruction | undefined) | undefined;
}

/** Extra input of rewrites that edit the build context's `.dockerignore`. */
export interface RewriteFiles {
  /** Current `.dockerignore` text; null when the file does not exist. */
  dockerignore: string | null;
}

/** What a rewrite proposes. */
export interface RewriteResult {
  /** Rewrite family (stable id, e.g. `pip-no-cache-dir`). */
  family: string;
  /** Behaviour may change: proposed as a separate "review" hunk, left out by `--safe-only`. */
  review: boolean;
  /** One line: what the hunk does. */
  summary: string;
  file: 'Dockerfile' | '.dockerignore';
  /** New text of `file`. */
  text: string;
  /** Predicted savings. */
  bytes: number;
  compressedBytes: number;
  note?: string | undefined;
  /** dpkg packages the image no longer gets (apt's dependency closure; the predicted bytes are theirs). */
  dropsPackages?: string[] | undefined;
  /** Indexes (in the input Dockerfile) of instructions the rewrite removed (their work moved elsewhere). */
  removes?: number[] | undefined;
  /**
   * For rewrites that add instructions: per instruction of the new text, the index (in the input
   * Dockerfile) of the instruction it is, or null for a new one. Overrides `removes`.
   */
  liveMap?: Array<number | null> | undefined;
}

/** A rewrite that recognises its finding but not the Dockerfile's shape: no hunk, and why. */
export interface RewriteDeclined {
  family: string;
  /** One line: what it did not understand. */
  declined: string;
}

/** A rewrite family. */
export type Rewrite = (df: ParsedDockerfile, f: LocatedFinding, files: RewriteFiles) => RewriteResult | RewriteDeclined | null;

/**
 * Typed report warnings: recoverable oddities the report states instead of failing. Each has a
 * stable `code` (scripts and renderers match on it, never on the text) and one lowercase message.
 */

/** Stable warning codes; part of the public API, like ERROR_CODES. */
export const WARNING_CODES = [
  'W_ARCHIVE_TAR', // the outer archive's tar structure is odd (lone zero block, data after the end)
  'W_ARCHIVE_DUPLICATE', // several archive entries share a name; the last one is used
  'W_LAYER_TAR', // a layer's tar structure is odd (lone zero block, data after the end)
  'W_PATH_HAZARD', // an entry name is absolute, climbs with `..`, holds control characters, ...
  'W_CAPTURE_SKIPPED', // a package-metadata file was not captured (a capture limit)
  'W_CAPTURE_TRUNCATED', // a package-metadata file was captured only in part (maxMetadataFileBytes)
  'W_MEDIA_TYPE', // a layer's media type says another compression than its bytes
  'W_BLOB_SIZE', // a descriptor's size differs from the blob's
  'W_OCI_LAYOUT', // the OCI layout's `oci-layout` file is missing or of a newer version
  'W_PLATFORM', // the image is not for the platform that was asked for
  'W_METADATA_ONLY', // layer contents were not read; file-level numbers are unknown
  'W_HISTORY', // the history does not map onto the layers one to one
  'W_NO_ESTIMATE', // some layers have no compression estimate (the sampler did not run)
  'W_PACKAGE_DB', // a package database is missing, truncated, malformed or overlapping
  'W_SAVED_TEXT', // a warning read from a schemaVersion 1 saved report (text only, no code)
  'W_SPARSE', // a layer holds sparse files: sizes are logical; the stored bytes are given
  'W_CONFIG_DIGEST', // the manifest's config digest differs from the config bytes analysed
  'W_FOREIGN_LAYER', // a non-distributable (foreign) layer is not in the source; analysed without it
  'W_RPMDB', // an rpm database (sqlite, BerkeleyDB, ndb) or one of its headers is malformed; the message ends with the reader's code (E_RPMDB_BDB, …)
  'W_APK_DB', // lib/apk/db/installed has stanzas without a name or version
  'W_NPM_PACKAGE', // a package.json / lock file in node_modules is not valid JSON
  'W_PKGDB_LIMIT', // a package database holds more packages than one reader accepts (50,000)
  'W_BASE_IMAGE', // the --base / Dockerfile base image matches this image's layers only in part
  'W_CACHE_CORRUPT', // a layer cache entry failed its integrity check; the layer was scanned again
  'W_SOURCE_FALLBACK', // the image was read from another source than the name first points at (engine → registry)
  'W_DF_UNMATCHED_ENTRY', // --dockerfile: a history entry matches no instruction of the Dockerfile
  'W_DF_AMBIGUOUS_ENTRY', // --dockerfile: a history entry could be either of two instructions; not attributed
  'W_DF_UNMATCHED_INSTRUCTION', // --dockerfile: an instruction matches no history entry
  'W_COLD_START', // the cold start or one of its what-ifs could not be estimated
  // GPU inventory (gpu/fatbin.ts GPU_WARNING_CODES): a malformed fatbin never fails the analysis.
  'W_ELF_MALFORMED', // an ELF file's header or section table is unusable
  'W_FATBIN_MALFORMED', // bad fatbin container magic/version or entry header
  'W_FATBIN_TRUNCATED', // a fatbin section or container runs past its section or file
  'W_FATBIN_LIMIT', // more fatbin entries than the inventory keeps
  'W_FATBIN_UNRESOLVED', // stream path: fatbin bytes could not be matched to the section table
] as const;

/** One of WARNING_CODES. */
export type WarningCode = (typeof WARNING_CODES)[number];

/** A report warning; `layer` is the index of the layer it is about, when it is about one. */
export interface ImgsizeWarning {
  code: WarningCode;
  message: string;
  layer?: number | undefined;
}

/** Returns a warning (with `layer` only when given, so JSON output has no `layer: undefined`). */
export function warning(code: WarningCode, message: string, layer?: number): ImgsizeWarning {
  return layer === undefined ? { code, message } : { code, message, layer };
}

/** The warning as one line of text: `layer N: message`, or the message. */
export function formatWarning(w: ImgsizeWarning): string {
  return w.layer === undefined ? w.message : `layer ${w.layer}: ${w.message}`;
}

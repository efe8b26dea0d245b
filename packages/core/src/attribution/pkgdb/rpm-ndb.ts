/**
 * rpm's "ndb" `Packages.db` (SUSE, rpm ≥ 4.16 with `_db_backend ndb`): a 32-byte header (magic
 * `RpmP`, version 0, generation, SlotNPages), then SlotNPages 4 KiB slot pages of 16-byte slots
 * (magic `Slot`, pkgidx, blkoff, blkcnt; the first two slots are the file header), each pointing
 * at a blob (magic `BlbS`, pkgidx, checksum, length, then the rpm header) at blkoff × 16.
 * Layout: rpm's lib/backend/ndb/rpmpkg.c; go-rpmdb's pkg/ndb reads the same. All little-endian.
 */
import { MAX_PACKAGES_PER_DB, PkgdbError, type PkgdbWarning } from './errors.js';

const MAGIC_HEADER = 0x506d7052; // 'RpmP'
const MAGIC_SLOT = 0x746f6c53; // 'Slot'
const MAGIC_BLOB = 0x53626c42; // 'BlbS'
const SLOT_PAGE = 4096;
const BLK = 16;

/** Returns the header blobs of an ndb `Packages.db`, in slot order; PkgdbError (E_RPMDB_NDB) when it is not one. */
export function readRpmNdb(buf: Buffer): { blobs: Buffer[]; warnings: PkgdbWarning[] } {
  if (buf.length < 32 || buf.readUInt32LE(0) !== MAGIC_HEADER) throw new PkgdbError('E_RPMDB_NDB', 'not an rpm ndb database (magic RpmP missing)');
  if (buf.readUInt32LE(4) !== 0) throw new PkgdbError('E_RPMDB_NDB', `unsupported ndb version ${buf.readUInt32LE(4)}`);
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0) throw new PkgdbError('E_RPMDB_NDB', 'the database declares 0 slot pages');
  const warnings: PkgdbWarning[] = [];
  let slotEnd = slotPages * SLOT_PAGE;
  if (slotEnd > buf.length) {
    warnings.push({ code: 'E_RPMDB_NDB', message: `the database declares ${slotPages} slot pages but the file ends after ${Math.floor(buf.length / SLOT_PAGE)}` });
    slotEnd = buf.length - (buf.length % BLK);
  }
  const blobs: Buffer[] = [];
  let bad = 0;
  let dup = 0;
  const seen = new Set<number>();
  for (let o = 2 * BLK; o + BLK <= slotEnd; o += BLK) {
    if (buf.readUInt32LE(o) !== MAGIC_SLOT) {
      warnings.push({ code: 'E_RPMDB_NDB', message: `bad slot magic at byte ${o}: the slots after it are not read` });
      break;
    }
    const pkgIdx = buf.readUInt32LE(o + 4);
    if (pkgIdx === 0) continue; // free slot
    const at = buf.readUInt32LE(o + 8) * BLK;
    // Each blob belongs to one slot; slots sharing one (hostile) would parse it again and again.
    if (seen.has(at)) {
      dup++;
      continue;
    }
    seen.add(at);
    if (at + BLK > buf.length || buf.readUInt32LE(at) !== MAGIC_BLOB || buf.readUInt32LE(at + 4) !== pkgIdx) {
      bad++;
      continue;
    }
    const len = buf.readUInt32LE(at + 12);
    if (at + BLK + len > buf.length) {
      bad++;
      continue;
    }
    blobs.push(buf.subarray(at + BLK, at + BLK + len));
    if (blobs.length >= MAX_PACKAGES_PER_DB) {
      warnings.push({ code: 'E_PKGDB_LIMIT', message: `more than ${MAX_PACKAGES_PER_DB} packages: the rest are not read` });
      break;
    }
  }
  if (bad > 0) warnings.push({ code: 'E_RPMDB_NDB', message: `${bad} slot(s) point at a missing or foreign blob: skipped` });
  if (dup > 0) warnings.push({ code: 'E_RPMDB_NDB', message: `${dup} slot(s) point at a blob another slot already uses: skipped` });
  return { blobs, warnings };
}

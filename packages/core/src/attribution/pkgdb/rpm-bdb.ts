/**
 * rpm's BerkeleyDB `Packages` (hash access method; RHEL/UBI 7–8, CentOS, Amazon Linux 2): every
 * value is an rpm header stored in a chain of overflow pages that an H_OFFPAGE entry on a hash page
 * points to. Layout: libdb's dbinc/db_page.h (generic and hash metadata pages, PAGE header, HOFFPAGE);
 * go-rpmdb's pkg/bdb reads the same. Written here from those layouts: pages are read from the
 * buffer, overflow chains are walked with a visited set (a loop is a warning, not a hang), and a
 * chain can never grow past the file size.
 */
import { MAX_PACKAGES_PER_DB, PkgdbError, type PkgdbWarning } from './errors.js';

const HASH_MAGIC = 0x061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_HASH = 13;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const H_OFFPAGE = 3;
const PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

/** Returns the header blobs of a BerkeleyDB hash `Packages` file; PkgdbError (E_RPMDB_BDB) when it is not one. */
export function readRpmBdb(buf: Buffer): { blobs: Buffer[]; warnings: PkgdbWarning[] } {
  if (buf.length < 512) throw new PkgdbError('E_RPMDB_BDB', `${buf.length} bytes is too short for a BerkeleyDB metadata page`);
  let le = true;
  if (buf.readUInt32LE(12) !== HASH_MAGIC) {
    if (buf.readUInt32BE(12) !== HASH_MAGIC) throw new PkgdbError('E_RPMDB_BDB', 'not a BerkeleyDB hash database (magic 0x061561 missing)');
    le = false; // written on a big-endian machine (s390x)
  }
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const pageSize = u32(20);
  if (!PAGE_SIZES.has(pageSize)) throw new PkgdbError('E_RPMDB_BDB', `unexpected page size ${pageSize}`);
  if (buf[24] !== 0) throw new PkgdbError('E_RPMDB_BDB', 'encrypted BerkeleyDB databases are not supported');
  if (buf[25] !== P_HASHMETA) throw new PkgdbError('E_RPMDB_BDB', `page 0 has type ${buf[25]}, not hash metadata`);
  const warnings: PkgdbWarning[] = [];
  const pagesInFile = Math.floor(buf.length / pageSize);
  let lastPage = u32(32);
  if (lastPage >= pagesInFile) {
    warnings.push({ code: 'E_RPMDB_BDB', message: `the database declares ${lastPage + 1} pages but holds ${pagesInFile}: packages on missing pages are not read` });
    lastPage = pagesInFile - 1;
  }
  const blobs: Buffer[] = [];
  let loops = 0;
  let broken = 0;
  // In a sound file every overflow page belongs to one chain, so all chains together visit each
  // page at most once; entries that share chains (hostile) would make the walk quadratic.
  const budget = { pages: 2 * pagesInFile + 16 };
  for (let pg = 1; pg <= lastPage; pg++) {
    const p = pg * pageSize;
    const type = buf[p + 25];
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    const entries = u16(p + 20);
    if (PAGE_HEADER + entries * 2 > pageSize) {
      broken++;
      continue;
    }
    // Entries alternate key, value; the value of each pair is the package header.
    for (let i = 1; i < entries; i += 2) {
      const off = u16(p + PAGE_HEADER + i * 2);
      if (off >= pageSize) {
        broken++;
        continue;
      }
      // Small values are stored in place (H_KEYDATA); rpm headers never are.
      if (buf[p + off] !== H_OFFPAGE) continue;
      if (off + 12 > pageSize) {
        broken++;
        continue;
      }
      const first = u32(p + off + 4);
      const length = u32(p + off + 8);
      if (budget.pages <= 0) {
        warnings.push({ code: 'E_RPMDB_BDB', message: 'overflow page chains visit more pages than the file holds (shared or crossing chains): the rest is not read' });
        return { blobs, warnings };
      }
      const r = readOverflow(buf, first, length, pageSize, pagesInFile, u32, u16, budget);
      if (r === 'loop') loops++;
      else if (r === 'broken') broken++;
      else blobs.push(r);
      if (blobs.length > MAX_PACKAGES_PER_DB) {
        warnings.push({ code: 'E_PKGDB_LIMIT', message: `more than ${MAX_PACKAGES_PER_DB} packages: the rest are not read` });
        return { blobs: blobs.slice(0, MAX_PACKAGES_PER_DB), warnings };
      }
    }
  }
  if (loops > 0) warnings.push({ code: 'E_RPMDB_BDB', message: `${loops} overflow page chain(s) loop back on themselves: those packages are skipped` });
  if (broken > 0) warnings.push({ code: 'E_RPMDB_BDB', message: `${broken} hash entr(ies) point outside the file or to the wrong page type: skipped` });
  return { blobs, warnings };
}

function readOverflow(
  buf: Buffer,
  first: number,
  length: number,
  pageSize: number,
  pagesInFile: number,
  u32: (o: number) => number,
  u16: (o: number) => number,
  budget: { pages: number },
): Buffer | 'loop' | 'broken' {
  // The item cannot be longer than the pages that could hold it.
  if (length > pagesInFile * (pageSize - PAGE_HEADER)) return 'broken';
  const parts: Buffer[] = [];
  let got = 0;
  const seen = new Set<number>();
  for (let pg = first; pg !== 0; ) {
    if (pg >= pagesInFile) return 'broken';
    if (seen.has(pg)) return 'loop';
    if (--budget.pages < 0) return 'broken';
    seen.add(pg);
    const p = pg * pageSize;
    if (buf[p + 25] !== P_OVERFLOW) return 'broken';
    const next = u32(p + 16);
    // hf_offset (bytes used) sits where a hash page keeps its free-area offset.
    const used = next === 0 ? u16(p + 22) : pageSize - PAGE_HEADER;
    if (used > pageSize - PAGE_HEADER) return 'broken';
    parts.push(buf.subarray(p + PAGE_HEADER, p + PAGE_HEADER + used));
    got += used;
    if (got > length + pageSize) return 'broken';
    pg = next;
  }
  const out = Buffer.concat(parts, got);
  return length <= out.length ? out.subarray(0, length) : out;
}

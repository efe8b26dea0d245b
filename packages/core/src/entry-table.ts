/**
 * A layer's entries, stored by column (issue 16: memory per entry). Real CUDA and conda layers
 * hold 500k+ entries; one object, one path string and one boxed number per entry cost about
 * 200 bytes each. Here an entry costs its base name (the directory part is interned: a layer's
 * entries name few distinct directories) plus a few bytes in typed arrays.
 *
 * `path(i)` rebuilds a path on demand; hot loops read `dir(i)`/`name(i)` and the typed columns.
 * `at(i)` materializes a `ScannedEntry` for code that is not per entry.
 */
import type { ScannedEntry } from './model.js';
import type { TarEntryType } from './tar/types.js';

const TYPES: readonly TarEntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'other'];
const TYPE_CODE: Readonly<Record<TarEntryType, number>> = { file: 0, dir: 1, symlink: 2, hardlink: 3, char: 4, block: 5, fifo: 6, other: 7 };

/** Type code of a regular file in `EntryTable.typeCodes`. */
export const FILE_TYPE_CODE = 0;
/** Type code of a directory in `EntryTable.typeCodes`. */
export const DIR_TYPE_CODE = 1;

/**
 * A copy of `s` that does not share storage with a longer string: V8 makes substrings of 13+
 * characters "sliced" strings that keep their whole parent (here a full path) alive.
 */
function ownString(s: string): string {
  if (s.length < 13) return s;
  const copy = Buffer.from(s, 'utf8').toString('utf8');
  return copy === s ? copy : s; // a lone surrogate does not survive UTF-8: keep the original
}

export class EntryTable implements Iterable<ScannedEntry> {
  /** Interned directory paths ('' is the root); `dirOf[i]` indexes it. */
  readonly dirs: string[] = [''];
  private dirIds: Map<string, number> | undefined = new Map([['', 0]]);
  private n = 0;
  private lastDir = '';
  private lastDirId = 0;
  names: string[] = [];
  dirOf = new Int32Array(64);
  typeCodes = new Uint8Array(64);
  sizes = new Float64Array(64);
  modes = new Uint32Array(64);
  /** Raw compressed-size estimates (NaN: not estimated); see ScannedEntry.csize. */
  csizes = new Float64Array(64).fill(NaN);
  /** Link targets of symlinks and hardlinks, by entry index. */
  readonly links = new Map<number, string>();

  static from(entries: Iterable<ScannedEntry>): EntryTable {
    const t = new EntryTable();
    for (const e of entries) t.push(e.path, e.type, e.size, e.mode, e.linkTarget, e.csize);
    return t.seal();
  }

  get length(): number {
    return this.n;
  }

  /** Appends an entry (a clean path, see paths.ts); returns its index. */
  push(path: string, type: TarEntryType, size: number, mode: number, linkTarget?: string, csize?: number): number {
    const i = this.n;
    if (i === this.dirOf.length) this.grow(i * 2);
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    let d: number;
    if (dir === this.lastDir) d = this.lastDirId;
    else {
      const ids = this.dirIds ?? this.rebuildDirIds();
      d = ids.get(dir) ?? -1;
      if (d < 0) {
        d = this.dirs.length;
        const own = ownString(dir);
        this.dirs.push(own);
        ids.set(own, d);
      }
      this.lastDir = this.dirs[d]!;
      this.lastDirId = d;
    }
    this.dirOf[i] = d;
    this.names.push(ownString(slash < 0 ? path : path.slice(slash + 1)));
    this.typeCodes[i] = TYPE_CODE[type];
    this.sizes[i] = size;
    this.modes[i] = mode;
    if (csize !== undefined) this.csizes[i] = csize;
    if (linkTarget !== undefined) this.links.set(i, linkTarget);
    this.n = i + 1;
    return i;
  }

  /** Trims the columns to their length and drops the builder's directory index. */
  seal(): this {
    if (this.dirOf.length !== this.n) this.grow(this.n);
    this.dirIds = undefined;
    this.lastDir = '';
    this.lastDirId = 0;
    return this;
  }

  private rebuildDirIds(): Map<string, number> {
    this.dirIds = new Map(this.dirs.map((d, i) => [d, i]));
    return this.dirIds;
  }

  private grow(capacity: number): void {
    const c = Math.max(capacity, this.n);
    const copy = <T extends Int32Array | Uint8Array | Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(c);
      b.set(a.subarray(0, Math.min(a.length, c)));
      return b;
    };
    this.dirOf = copy(this.dirOf, (k) => new Int32Array(k));
    this.typeCodes = copy(this.typeCodes, (k) => new Uint8Array(k));
    this.sizes = copy(this.sizes, (k) => new Float64Array(k));
    this.modes = copy(this.modes, (k) => new Uint32Array(k));
    this.csizes = copy(this.csizes, (k) => new Float64Array(k).fill(NaN));
  }

  /** Clean path of entry i ("" for the root). */
  path(i: number): string {
    const d = this.dirs[this.dirOf[i]!]!;
    return d === '' ? this.names[i]! : `${d}/${this.names[i]!}`;
  }

  /** Directory part of entry i's path ("" for top-level entries). */
  dir(i: number): string {
    return this.dirs[this.dirOf[i]!]!;
  }

  /** Last segment of entry i's path. */
  name(i: number): string {
    return this.names[i]!;
  }

  type(i: number): TarEntryType {
    return TYPES[this.typeCodes[i]!]!;
  }

  isFile(i: number): boolean {
    return this.typeCodes[i] === FILE_TYPE_CODE;
  }

  size(i: number): number {
    return this.sizes[i]!;
  }

  mode(i: number): number {
    return this.modes[i]!;
  }

  linkTarget(i: number): string | undefined {
    return this.links.get(i);
  }

  csize(i: number): number | undefined {
    const c = this.csizes[i]!;
    return Number.isNaN(c) ? undefined : c;
  }

  setCsize(i: number, csize: number): void {
    this.csizes[i] = csize;
  }

  /** Entry i as an object (a copy: for code that is not per entry, and tests). */
  at(i: number): ScannedEntry {
    return { path: this.path(i), type: this.type(i), size: this.sizes[i]!, mode: this.modes[i]!, linkTarget: this.links.get(i), csize: this.csize(i) };
  }

  *[Symbol.iterator](): Iterator<ScannedEntry> {
    for (let i = 0; i < this.n; i++) yield this.at(i);
  }

  /** Every entry as objects (tests, small layers). */
  toArray(): ScannedEntry[] {
    return [...this];
  }

  // Array-like helpers for code that is not per entry (they materialize every entry they visit).

  map<T>(fn: (e: ScannedEntry, i: number) => T): T[] {
    const out = new Array<T>(this.n);
    for (let i = 0; i < this.n; i++) out[i] = fn(this.at(i), i);
    return out;
  }

  filter(pred: (e: ScannedEntry, i: number) => boolean): ScannedEntry[] {
    const out: ScannedEntry[] = [];
    for (let i = 0; i < this.n; i++) {
      const e = this.at(i);
      if (pred(e, i)) out.push(e);
    }
    return out;
  }

  find(pred: (e: ScannedEntry, i: number) => boolean): ScannedEntry | undefined {
    for (let i = 0; i < this.n; i++) {
      const e = this.at(i);
      if (pred(e, i)) return e;
    }
    return undefined;
  }

  some(pred: (e: ScannedEntry, i: number) => boolean): boolean {
    for (let i = 0; i < this.n; i++) if (pred(this.at(i), i)) return true;
    return false;
  }
}

/** A line-based id as fallbackId makes it: `<line>-<first 8 hex of the row's sha256>`. */
const LINE_BASED = /^([1-9]\d*)-([0-9a-f]{8})$/;

export interface IdOwner {
  line: number;
  /** The id is the owner's line-based one (it had no id of its own). */
  lineBased: boolean;
}

/**
 * The ids the records read so far own, to find a record whose id another already has. Given ids
 * (read from the input) are kept by value, about 100 bytes each. Line-based ids are kept as their
 * 32-bit hash by line, about 4 bytes a line: a line-based id names its own line, so a given id
 * that looks like one is checked against that line's only. An input without given ids never
 * meets a line-based id it could clash with, and pays the 4 bytes only.
 */
export class IdRegistry {
  private readonly given = new Map<string, number>();
  /** By line: the hash of the line-based id the record on that line has, and whether it has one. */
  private hashes = new Uint32Array(1024);
  private has = new Uint8Array(1024);

  /** `csvIds`: given ids are kept as a CSV writes them (see asWritten). */
  constructor(private readonly csvIds = false) {}

  /**
   * Claims `id` for the record on `line`; returns the record that owns it already (its line, and
   * whether the id is that record's line-based one), or undefined when it is free (and now this
   * record's).
   */
  claim(id: string, line: number, given: boolean): IdOwner | undefined {
    if (given && this.csvIds) id = asWritten(id);
    // Given ids are few next to id-less rows, whose ids cost no lookup while none was given.
    if (given || this.given.size > 0) {
      const first = this.given.get(id);
      if (first !== undefined) return { line: first, lineBased: false };
    }
    if (given) {
      const owner = this.lineBasedOwner(id, line);
      if (owner !== undefined) return { line: owner, lineBased: true };
      this.given.set(id, line);
    } else {
      this.keepLineBased(id, line);
    }
    return undefined;
  }

  /** The line whose line-based id a given id is, if that line's record has it. */
  private lineBasedOwner(id: string, line: number): number | undefined {
    const m = LINE_BASED.exec(id);
    if (!m) return undefined;
    const at = Number(m[1]);
    if (at === line || at >= this.has.length || this.has[at] === 0) return undefined;
    return this.hashes[at] === Number.parseInt(m[2]!, 16) ? at : undefined;
  }

  /**
   * A record's own line-based id (always fallbackId of its own line): its hash goes by the line,
   * read off the end without a regex (this runs for every id-less row).
   */
  private keepLineBased(id: string, line: number): void {
    const dash = id.length - 9;
    const hash = dash > 0 && id.charCodeAt(dash) === 45 ? Number.parseInt(id.slice(dash + 1), 16) : Number.NaN;
    if (Number.isNaN(hash)) {
      this.given.set(id, line); // not in the line-based shape (cannot happen for a fallbackId): kept by value
      return;
    }
    if (line >= this.has.length) this.grow(line);
    this.hashes[line] = hash;
    this.has[line] = 1;
  }

  private grow(line: number): void {
    let size = this.has.length;
    while (size <= line) size *= 2;
    const hashes = new Uint32Array(size);
    hashes.set(this.hashes);
    const has = new Uint8Array(size);
    has.set(this.has);
    this.hashes = hashes;
    this.has = has;
  }
}

/**
 * A given id as a CSV holds it: UTF-8 (a CSV's cells, a terminal) has no encoding for a
 * lone UTF-16 surrogate (a JSONL id `"t\ud83c"`, an emoji cut in half) and writes U+FFFD. Two ids
 * that differ only there are one id in a CSV, where a resume took both as answered. JSONL writes
 * them escaped: there they stay two.
 */
export function asWritten(id: string): string {
  return LONE_SURROGATE.test(id) ? id.replace(LONE_SURROGATE_ALL, '\uFFFD') : id;
}

const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_ALL = /\p{Cs}/gu;

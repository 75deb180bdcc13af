// Cuts a byte stream into runs of whole lines, so everything downstream (colour stripping, the
// log, the parser) works on chunks yet never sees half a line, half a CRLF or half a colour code.
// Only LF ends a line: a lone CR is a progress overwrite inside the line (see clean-bytes.ts).

const LF = 0x0a;
/** A line longer than this is cut (a LF is inserted): memory stays bounded whatever Earthly prints. */
export const MAX_LINE = 1024 * 1024;
const NEWLINE = Buffer.from("\n");

/**
 * What must never be cut in two: the secrets to mask downstream, which are found only whole. At a
 * cut, `mask` runs over the whole carried line first, and the last `overlap` bytes (the longest
 * secret but one) stay for the next piece: a secret that had begun there is then whole in it.
 */
export interface CutGuard {
  overlap: number;
  mask(line: Buffer): Buffer;
}

export class LineSplitter {
  // The start of an unfinished line; a list, so a very long line is not copied again per chunk.
  private carry: Buffer[] = [];
  private carried = 0;

  constructor(
    private readonly maxLine = MAX_LINE,
    private readonly guard?: CutGuard,
  ) {}

  /**
   * The whole lines completed by `chunk`, each run ending in LF: none, one, or two when a line was
   * carried over (that line alone is copied together; the rest of the chunk is a view of it).
   */
  push(chunk: Buffer): Buffer[] {
    const last = chunk.lastIndexOf(LF);
    if (last === -1) {
      if (chunk.length > 0) {
        this.carry.push(chunk);
        this.carried += chunk.length;
      }
      return this.carried >= this.maxLine ? [this.cut()] : [];
    }
    const out: Buffer[] = [];
    let from = 0;
    if (this.carried > 0) {
      const first = chunk.indexOf(LF) + 1;
      this.carry.push(chunk.subarray(0, first));
      out.push(Buffer.concat(this.carry, this.carried + first));
      from = first;
    }
    if (last + 1 > from) out.push(chunk.subarray(from, last + 1));
    // The tail is copied: a view would keep the whole chunk alive and share bytes cleaned in place.
    this.carry = last + 1 < chunk.length ? [Buffer.from(chunk.subarray(last + 1))] : [];
    this.carried = chunk.length - last - 1;
    return out;
  }

  /** What is left at the end of the stream, as a line with its LF (empty when nothing is left). */
  end(): Buffer {
    return this.carried === 0 ? EMPTY : this.cut(true);
  }

  private cut(final = false): Buffer {
    // Below maxLine, so that every cut hands something on (a secret as long as a line is absurd).
    const overlap = final || this.guard === undefined ? 0 : Math.min(this.guard.overlap, this.maxLine - 1);
    if (overlap === 0) {
      const out = Buffer.concat([...this.carry, NEWLINE], this.carried + 1);
      this.carry = [];
      this.carried = 0;
      return out;
    }
    // Masked whole before it is cut: a secret across the cut point lies wholly inside the line.
    const line = (this.guard as CutGuard).mask(Buffer.concat(this.carry, this.carried));
    const at = Math.max(0, line.length - overlap);
    this.carry = [Buffer.from(line.subarray(at))];
    this.carried = line.length - at;
    return Buffer.concat([line.subarray(0, at), NEWLINE], at + 1);
  }
}

const EMPTY = Buffer.alloc(0);

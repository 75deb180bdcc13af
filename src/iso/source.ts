// Random access to an image file for its metadata: a few KiB read where the structures say, never
// the whole file (the one full pass is verify's hashing, src/verify/iso.ts).
import { open, type FileHandle } from "node:fs/promises";

export class ImageFormatError extends Error {
  override readonly name = "ImageFormatError";
}

export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`; an ImageFormatError when the file ends first. */
  read(offset: number, length: number): Promise<Buffer>;
}

export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, "r");
    try {
      const info = await handle.stat();
      return new FileSource(handle, info.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ImageFormatError(`the file ends at byte ${this.size}, but its structures point to bytes ${offset}..${offset + length}`);
    }
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) throw new ImageFormatError(`the file ended while reading bytes ${offset}..${offset + length}`);
      done += bytesRead;
    }
    return buffer;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** A window onto part of another source (a FAT image inside an ISO). */
export class SliceSource implements ByteSource {
  constructor(
    private readonly inner: ByteSource,
    private readonly start: number,
    readonly size: number,
  ) {}

  read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ImageFormatError(`the embedded image ends at byte ${this.size}, but its structures point to bytes ${offset}..${offset + length}`);
    }
    return this.inner.read(this.start + offset, length);
  }
}

/**
 * Image-processing port: decode untrusted bytes safely and produce re-encoded JPEG variants.
 * The domain describes what it wants; the sharp adapter (src/adapters/images/sharp-images.ts)
 * decides how. Contract of every adapter:
 * - the input format is checked from the bytes (not a name or Content-Type) against an allowlist;
 * - the pixel count is checked from the header before any full decode;
 * - truncated or corrupt data is an error, never a partly grey image;
 * - pixels are auto-oriented from EXIF first, and no metadata (EXIF, GPS, XMP, IPTC, ICC) is kept;
 * - images are never enlarged;
 * - at most a configured number of images are processed at once.
 */

export interface ImageVariantSpec {
  name: string;
  /** Box the output must fit (inside) or fill and be cropped to (cover). */
  width: number;
  height: number;
  fit: 'inside' | 'cover';
  /**
   * Name of an earlier variant to derive this one from (cheaper than decoding the original again;
   * it must be at least as large as this one).
   */
  from?: string;
}

export interface ImageVariant {
  name: string;
  /** JPEG bytes. */
  data: Buffer;
  width: number;
  height: number;
}

export interface ProcessedImage {
  /** The decoder that read the input (e.g. "jpeg", "png", "webp"). */
  format: string;
  /** Dimensions after auto-orientation. */
  width: number;
  height: number;
  variants: ImageVariant[];
}

export type ImageRejection = 'not-an-image' | 'unsupported-format' | 'too-many-pixels' | 'corrupt';

/** The input is refused; `reason` is stable (it labels the failure counter). */
export class ImageRejectedError extends Error {
  override readonly name = 'ImageRejectedError';
  constructor(
    readonly reason: ImageRejection,
    message: string,
  ) {
    super(message);
  }
}

export interface ImageProcessor {
  /**
   * Throws ImageRejectedError for input it refuses; any other error is unexpected (I/O, memory).
   * `onVariant` sees each variant as soon as it is encoded, so a caller can start storing it while
   * the next one is made.
   */
  process(input: Buffer, variants: ImageVariantSpec[], onVariant?: (variant: ImageVariant) => void): Promise<ProcessedImage>;
}

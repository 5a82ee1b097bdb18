/**
 * The image-processing port on sharp (libvips). Untrusted input rules (spec §3.1):
 * - `failOn: 'warning'`: a truncated or damaged file is an error, not a half-grey picture;
 * - `limitInputPixels` far below sharp's default, checked from the header by `metadata()` before
 *   any decode, so a 20000x20000 PNG of 1 MB never reaches the decoder;
 * - the format allowlist is checked on `metadata().format` (the decoder libvips picked from the
 *   bytes), so an SVG or GIF named .jpg is refused whatever its name or Content-Type;
 * - `.rotate()` first (auto-orient from EXIF), then no keep/withMetadata call: the output carries no
 *   EXIF, GPS, XMP, IPTC or ICC data; `withoutEnlargement` everywhere; mozjpeg encoding;
 * - only the first page/frame is decoded (sharp's default `pages: 1`);
 * - at most `concurrency` images in flight; the rest wait in FIFO order.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import {
  ImageRejectedError,
  type ImageProcessor,
  type ImageVariant,
  type ImageVariantSpec,
  type ProcessedImage,
} from '../../ports/images.ts';

export interface SharpImagesOptions {
  /** Decoders accepted, as `metadata().format` names them. */
  allowedFormats?: readonly string[];
  limitInputPixels: number;
  /** JPEG quality 1..100. */
  quality: number;
  /** Images processed at once. */
  concurrency: number;
}

export const DEFAULT_IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;

export function createSharpImages(options: SharpImagesOptions): ImageProcessor {
  const allowed = new Set(options.allowedFormats ?? DEFAULT_IMAGE_FORMATS);
  const limit = createLimiter(options.concurrency);
  const input = { failOn: 'warning', limitInputPixels: options.limitInputPixels } as const;

  const encode = (pipeline: Sharp) =>
    pipeline.jpeg({ quality: options.quality, mozjpeg: true }).toBuffer({ resolveWithObject: true });

  async function inspect(bytes: Buffer): Promise<{ format: string; width: number; height: number }> {
    let meta: Metadata;
    try {
      meta = await sharp(bytes, input).metadata();
    } catch (err) {
      throw rejection(err);
    }
    const format = meta.format ?? 'unknown';
    if (!allowed.has(format)) throw new ImageRejectedError('unsupported-format', `image format ${format} is not accepted`);
    const { width = 0, height = 0 } = meta;
    if (width < 1 || height < 1) throw new ImageRejectedError('corrupt', 'image has no dimensions');
    if (width * height > options.limitInputPixels) {
      throw new ImageRejectedError('too-many-pixels', `image of ${width}x${height} exceeds ${options.limitInputPixels} pixels`);
    }
    // EXIF orientations 5..8 swap the axes.
    const swapped = (meta.orientation ?? 1) >= 5;
    return { format, width: swapped ? height : width, height: swapped ? width : height };
  }

  async function variant(source: Buffer, spec: ImageVariantSpec, original: boolean): Promise<ImageVariant> {
    let pipeline = sharp(source, input);
    if (original) pipeline = pipeline.rotate();
    pipeline = pipeline
      .flatten({ background: '#ffffff' })
      .resize({ width: spec.width, height: spec.height, fit: spec.fit, withoutEnlargement: true });
    try {
      const { data, info } = await encode(pipeline);
      return { name: spec.name, data, width: info.width, height: info.height };
    } catch (err) {
      throw rejection(err);
    }
  }

  return {
    process: (bytes, specs, onVariant) =>
      limit(async (): Promise<ProcessedImage> => {
        const meta = await inspect(bytes);
        const done = new Map<string, ImageVariant>();
        for (const spec of specs) {
          const from = spec.from === undefined ? undefined : done.get(spec.from);
          if (spec.from !== undefined && !from) throw new Error(`variant ${spec.name} derives from unknown ${spec.from}`);
          const made = await variant(from ? from.data : bytes, spec, !from);
          done.set(spec.name, made);
          onVariant?.(made);
        }
        return { ...meta, variants: [...done.values()] };
      }),
  };
}

/** Sharp's errors are plain Errors; their messages are libvips'. */
function rejection(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/unsupported image format|Input buffer is empty|Input file is missing/i.test(message)) {
    return new ImageRejectedError('not-an-image', 'not a decodable image');
  }
  if (/pixel limit/i.test(message)) return new ImageRejectedError('too-many-pixels', 'image exceeds the pixel limit');
  return new ImageRejectedError('corrupt', `image is damaged: ${message.split('\n')[0]}`);
}

/** FIFO limiter: runs at most `n` tasks at once; a finishing task hands its slot to the next waiter. */
export function createLimiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const handOff = waiting.shift();
      if (handOff) handOff();
      else active--;
    }
  };
}

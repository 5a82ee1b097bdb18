import sharp from 'sharp';

/** A phone-like JPEG: stored 1600x1200 (top half red, bottom half blue), EXIF Orientation 6 and GPS. */
export async function phoneJpeg(): Promise<Buffer> {
  const red = await sharp({ create: { width: 1600, height: 600, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 1600, height: 600, channels: 3, background: '#0000ff' } }).png().toBuffer();
  return sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#000000' } })
    .composite([{ input: red, top: 0, left: 0 }, { input: blue, top: 600, left: 0 }])
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'PhoneCo', Model: 'Phone 15' },
      // libvips' IFD3 is the GPS directory.
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '40/1 25/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '3/1 42/1 0/1' },
    })
    .toBuffer();
}

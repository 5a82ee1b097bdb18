/** Lambda: ProcessProfilePhoto, on the bucket's ObjectCreated notification for the upload quarantine (`incoming/`). */
import type { S3Event } from '../functions/process-profile-photo/s3-event.ts';
import { lambdaSystemOnce } from '../runtime/lambda.ts';
import { createPhotoFunction } from '../runtime/lambda-photos.ts';

let fn: ReturnType<typeof createPhotoFunction> | undefined;

export async function handler(event: S3Event) {
  fn ??= createPhotoFunction(lambdaSystemOnce());
  return fn.handler(event);
}

import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

interface Args {
  kind: string;
  contentType: string;
  contentLength: number;
}

/** A short-lived signed URL for the caller's own upload; the key is built by the server, never taken from the client. */
export const requestUpload = defineOperation({
  type: 'Mutation',
  field: 'requestUpload',
  uses: ['media'],
  // headers (AWSJSON) is JSON-encoded by the scalar.
  resolver: ({ media }) => (args: Args, ctx) =>
    media.requestUpload(callerPrincipal(ctx).sub, args.kind, args.contentType, args.contentLength),
});

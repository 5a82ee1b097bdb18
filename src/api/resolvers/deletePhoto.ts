import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

/** Deletes one of the caller's gallery photos; false when the caller has no such photo (another user's is untouched). */
export const deletePhoto = defineOperation({
  type: 'Mutation',
  field: 'deletePhoto',
  uses: ['media'],
  resolver: ({ media }) => (args: { photoId: string }, ctx) => media.deletePhoto(callerPrincipal(ctx).sub, args.photoId),
});

/** Lambda: Cognito's PostConfirmation trigger; creates the profile with the same code as the embedded pool. */
import { createPostConfirmation, type PostConfirmationEvent } from '../functions/post-confirmation/handler.ts';
import { lambdaSystemOnce } from '../runtime/lambda.ts';

let fn: ReturnType<typeof createPostConfirmation> | undefined;

export async function handler(event: PostConfirmationEvent) {
  if (!fn) {
    const { users } = lambdaSystemOnce().services;
    fn = createPostConfirmation({ postConfirmation: (user) => users.createProfile(user) });
  }
  return fn.handler(event);
}

/**
 * The user pool's post-confirmation step: creates the confirmed user's profile (userId = `sub`).
 * On AWS it is Cognito's PostConfirmation Lambda trigger; embedded, the identity service calls the
 * same `postConfirmation` after ConfirmSignUp (and auto-confirm). Only a sign-up confirmation
 * creates a profile: Cognito also fires this trigger after a password reset.
 *
 * Creating a profile is idempotent (a retried trigger finds the profile and stops), and a taken
 * nickname gets a suffix rather than failing: a failed trigger would fail the user's
 * ConfirmSignUp with UserLambdaValidationException while Cognito keeps the user confirmed.
 */
import type { PostConfirmation } from '../../domain/identity/contracts.ts';

/** Cognito's PostConfirmation trigger event (the fields this handler reads). */
export interface PostConfirmationEvent {
  version?: string;
  triggerSource: string;
  region?: string;
  userPoolId?: string;
  userName: string;
  callerContext?: Record<string, unknown>;
  request: { userAttributes: Record<string, string>; clientMetadata?: Record<string, string> };
  response: Record<string, unknown>;
}

export const POST_CONFIRMATION = 'PostConfirmation';

export function createPostConfirmation(deps: { postConfirmation: PostConfirmation }) {
  return {
    /** Returns the event unchanged, as Cognito requires of a trigger. */
    async handler(event: PostConfirmationEvent): Promise<PostConfirmationEvent> {
      if (event.triggerSource !== 'PostConfirmation_ConfirmSignUp') return event;
      const attributes = { ...event.request.userAttributes };
      const sub = attributes.sub;
      if (!sub) throw new Error('PostConfirmation event without a sub attribute');
      await deps.postConfirmation({ sub, username: event.userName, attributes });
      return event;
    },
  };
}

import { z } from 'zod';
import { cognitoError } from '../../domain/identity/errors.ts';

/**
 * Request members shared by several actions, with the Cognito API model's constraints, and the
 * rendering of validation failures in AWS's wording ("1 validation error detected: ...").
 * Members an action does not use (ClientMetadata, AnalyticsMetadata, UserContextData, SecretHash,
 * ...) are accepted and ignored: the schemas strip unknown keys.
 */
export const clientId = z.string().min(1).max(128).regex(/^[\w+]+$/);
export const username = z.string().min(1).max(128);
/** Passwords: length and pattern are checked by the pool, which names the exact rule broken. */
export const password = z.string().min(1).max(256);
export const confirmationCode = z.string().min(1).max(2048).regex(/^[\S]+$/);
export const accessToken = z.string().min(1).max(16_384).regex(/^[A-Za-z0-9\-_=.]+$/);
export const token = z.string().min(1).max(16_384);
export const attributeName = z.string().min(1).max(32);
export const attributeList = z
  .array(z.object({ Name: attributeName, Value: z.string().max(2048).optional() }))
  .max(100)
  .transform((list) => list.map((a) => ({ name: a.Name, value: a.Value ?? '' })));
export const stringMap = z.record(z.string().max(128), z.string().max(131_072));

const member = (path: PropertyKey[]) =>
  path
    .map((p) => (typeof p === 'number' ? `${p + 1}.member` : String(p).replace(/^[A-Z]/, (c) => c.toLowerCase())))
    .join('.');

/** AWS's validation message for a failed parse. */
export function validationMessage(error: z.ZodError): string {
  const parts = error.issues.slice(0, 10).map((issue) => {
    const at = member(issue.path);
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      return `Value null at '${at}' failed to satisfy constraint: Member must not be null`;
    }
    let constraint: string;
    if (issue.code === 'too_small') constraint = `Member must have length greater than or equal to ${String(issue.minimum)}`;
    else if (issue.code === 'too_big') constraint = `Member must have length less than or equal to ${String(issue.maximum)}`;
    else if (issue.code === 'invalid_format' && 'pattern' in issue) constraint = `Member must satisfy regular expression pattern: ${String(issue.pattern)}`;
    else if (issue.code === 'invalid_type') constraint = `Member must be of type ${issue.expected}`;
    else constraint = issue.message;
    return `Value at '${at}' failed to satisfy constraint: ${constraint}`;
  });
  const n = error.issues.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

/** CodeDeliveryDetails on the wire. */
export const codeDeliveryDetails = (d: { destination: string; deliveryMedium: string; attributeName: string }) => ({
  Destination: d.destination,
  DeliveryMedium: d.deliveryMedium,
  AttributeName: d.attributeName,
});

/** AuthenticationResult on the wire; RefreshToken only when there is one (never `null`). */
export const authenticationResult = (r: {
  accessToken: string;
  idToken: string;
  refreshToken?: string;
  expiresIn: number;
  tokenType: string;
}) => ({
  AccessToken: r.accessToken,
  ExpiresIn: r.expiresIn,
  TokenType: r.tokenType,
  ...(r.refreshToken !== undefined ? { RefreshToken: r.refreshToken } : {}),
  IdToken: r.idToken,
});

/** InitiateAuth / RespondToAuthChallenge output: tokens, or the next challenge (Session only when there is one). */
export const authResponse = (
  r:
    | Parameters<typeof authenticationResult>[0]
    | { challengeName: string; challengeParameters: Record<string, string>; session?: string },
) =>
  'challengeName' in r
    ? { ChallengeName: r.challengeName, ChallengeParameters: r.challengeParameters, ...(r.session !== undefined ? { Session: r.session } : {}) }
    : { ChallengeParameters: {}, AuthenticationResult: authenticationResult(r) };

/** UserPoolId of operator calls: this pool's, or ResourceNotFoundException as for any other pool. */
export const userPoolId = z.string().min(1).max(55).regex(/^[\w-]+_[0-9a-zA-Z]+$/);
export function requirePool(identity: { userPoolId: string }, id: string): void {
  if (id !== identity.userPoolId) throw cognitoError('ResourceNotFoundException', `User pool ${id} does not exist.`);
}
export const groupName = z.string().min(1).max(128);
export const limit60 = z.number().int().min(1).max(60);
export const pageToken = z.string().min(1).max(4096);

/** Cognito timestamps are JSON numbers of epoch seconds. */
const seconds = (ms: number) => ms / 1000;

/** UserType (ListUsers, AdminCreateUser); AdminGetUser names its attributes UserAttributes. */
export const userType = (
  u: { username: string; attributes: Array<{ name: string; value: string }>; createdAt: number; updatedAt: number; enabled: boolean; status: string },
  attributesToGet?: string[],
) => ({
  Username: u.username,
  Attributes: u.attributes.filter((a) => !attributesToGet || attributesToGet.includes(a.name)).map((a) => ({ Name: a.name, Value: a.value })),
  UserCreateDate: seconds(u.createdAt),
  UserLastModifiedDate: seconds(u.updatedAt),
  Enabled: u.enabled,
  UserStatus: u.status,
});

import { z } from 'zod';

/** Members of the Cognito Identity API model, with its constraints. */
export const identityPoolId = z.string().min(1).max(55).regex(/^[\w-]+:[0-9a-f-]+$/);
export const identityId = z.string().min(1).max(55).regex(/^[\w-]+:[0-9a-f-]+$/);
export const logins = z.record(z.string().min(1).max(128), z.string().min(1).max(50_000)).optional();

/** Credentials on the wire: Expiration is epoch seconds, as Cognito sends it. */
export const wireCredentials = (c: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiresAt: number }) => ({
  AccessKeyId: c.accessKeyId,
  SecretKey: c.secretAccessKey,
  SessionToken: c.sessionToken,
  Expiration: Math.floor(c.expiresAt / 1000),
});

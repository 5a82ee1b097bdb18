import { createHash } from 'node:crypto';
import { errors } from './errors.ts';

/**
 * User attributes as Cognito knows them: the OIDC standard set plus `custom:*` (always strings).
 * `sub` and the `*_verified` flags are not client-writable: confirmation and verification set them.
 */
export interface AttributeInput {
  name: string;
  value: string;
}

export interface CodeDelivery {
  destination: string;
  deliveryMedium: 'EMAIL' | 'SMS';
  attributeName: 'email' | 'phone_number';
}

const STANDARD = new Set([
  'address',
  'birthdate',
  'email',
  'family_name',
  'gender',
  'given_name',
  'locale',
  'middle_name',
  'name',
  'nickname',
  'phone_number',
  'picture',
  'preferred_username',
  'profile',
  'zoneinfo',
  'updated_at',
  'website',
]);
const READ_ONLY = new Set(['sub', 'email_verified', 'phone_number_verified']);
const CUSTOM = /^custom:[A-Za-z0-9_.-]{1,20}$/;
const MAX_VALUE = 2048;
const MAX_ATTRIBUTES = 50;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[0-9]{4,15}$/;

/** Validates client-supplied attributes; later duplicates win. */
export function validateAttributes(list: AttributeInput[]): Record<string, string> {
  if (list.length > MAX_ATTRIBUTES) {
    throw errors.invalidParameter(`Too many attributes: at most ${MAX_ATTRIBUTES} are allowed.`);
  }
  const out: Record<string, string> = {};
  for (const { name, value } of list) {
    if (READ_ONLY.has(name)) throw errors.unauthorizedAttribute();
    if (!STANDARD.has(name) && !CUSTOM.test(name)) {
      throw errors.invalidParameter(`Attributes did not conform to the schema: ${name}: Attribute does not exist in the schema.`);
    }
    if (value.length > MAX_VALUE) {
      throw errors.invalidParameter(
        `Attributes did not conform to the schema: ${name}: String attributes cannot have a length of more than ${MAX_VALUE}`,
      );
    }
    if (name === 'email' && !EMAIL.test(value)) throw errors.invalidParameter('Invalid email address format.');
    if (name === 'phone_number' && !PHONE.test(value)) throw errors.invalidParameter('Invalid phone number format.');
    out[name] = value;
  }
  return out;
}

/** Where a code for these attributes goes (email first, as Cognito with email verification). */
export function deliveryFor(attributes: Record<string, string>, prefer?: 'email' | 'phone_number'): CodeDelivery | undefined {
  const email = attributes.email;
  const phone = attributes.phone_number;
  if (email && prefer !== 'phone_number') return { destination: maskEmail(email), deliveryMedium: 'EMAIL', attributeName: 'email' };
  if (phone && prefer !== 'email') return { destination: maskPhone(phone), deliveryMedium: 'SMS', attributeName: 'phone_number' };
  return undefined;
}

/** A plausible, stable delivery for an unknown user (PreventUserExistenceErrors=ENABLED). */
export function simulatedDelivery(username: string): CodeDelivery {
  if (EMAIL.test(username)) return { destination: maskEmail(username), deliveryMedium: 'EMAIL', attributeName: 'email' };
  const h = createHash('sha256').update(username.toLowerCase()).digest();
  const letter = (i: number) => 'abcdefghijklmnopqrstuvwxyz'[h[i] % 26];
  return { destination: `${letter(0)}***@${letter(1)}***`, deliveryMedium: 'EMAIL', attributeName: 'email' };
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***@${email.slice(at + 1, at + 2)}***`;
}

export function maskPhone(phone: string): string {
  return `+*******${phone.slice(-4)}`;
}

import { badRequest } from '../errors.ts';
import { isValidNickname, NICKNAME_MIN_LENGTH } from './nickname.ts';
import type { ProfileChanges } from './profile.ts';

export interface ProfileLimits {
  nicknameMaxLength: number;
  nameMaxLength: number;
  placeMaxLength: number;
  descripcionMaxLength: number;
}

// Control characters never belong in a profile; descripcion may hold line breaks and tabs.
/* eslint-disable no-control-regex */
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROL_EXCEPT_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/* eslint-enable no-control-regex */

/** What updateProfile writes: values to SET and attributes to REMOVE. */
export interface ValidChanges {
  nickname?: string;
  set: Record<string, string>;
  remove: string[];
}

/**
 * Validates owner edits against the configured limits. Throws BadRequest naming the first bad
 * field. Texts are trimmed; null or blank clears an optional text; the nickname can't be cleared.
 */
export function validateChanges(input: ProfileChanges, limits: ProfileLimits): ValidChanges {
  const out: ValidChanges = { set: {}, remove: [] };
  if (input.nickname !== undefined) {
    const nickname = input.nickname;
    if (typeof nickname !== 'string' || !isValidNickname(nickname, limits.nicknameMaxLength)) {
      throw badRequest(
        `nickname must be ${NICKNAME_MIN_LENGTH} to ${limits.nicknameMaxLength} characters of letters, digits, '.' and '_'`,
        { field: 'nickname' },
      );
    }
    out.nickname = nickname;
  }
  text(input, 'nombreCompleto', limits.nameMaxLength, CONTROL, out);
  text(input, 'ciudad', limits.placeMaxLength, CONTROL, out);
  text(input, 'pais', limits.placeMaxLength, CONTROL, out);
  text(input, 'descripcion', limits.descripcionMaxLength, CONTROL_EXCEPT_BREAKS, out);
  return out;
}

function text(
  input: ProfileChanges,
  field: 'nombreCompleto' | 'ciudad' | 'pais' | 'descripcion',
  maxLength: number,
  forbidden: RegExp,
  out: ValidChanges,
): void {
  const raw = input[field];
  if (raw === undefined) return;
  if (raw === null) {
    out.remove.push(field);
    return;
  }
  if (typeof raw !== 'string') throw badRequest(`${field} must be a string`, { field });
  const value = raw.trim();
  if (value.length === 0) {
    out.remove.push(field);
    return;
  }
  if ([...value].length > maxLength) throw badRequest(`${field} must be at most ${maxLength} characters`, { field });
  if (forbidden.test(value)) throw badRequest(`${field} contains control characters`, { field });
  out.set[field] = value;
}

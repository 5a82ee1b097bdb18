import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertPasswordAllowed,
  defaultPasswordPolicy,
  passwordProblem,
} from '../../src/domain/identity/password-policy.ts';
import { createPasswordHasher, parseHash } from '../../src/domain/identity/password-hasher.ts';
import { lockSeconds } from '../../src/domain/identity/lockout.ts';
import { maskEmail, maskPhone, simulatedDelivery, validateAttributes } from '../../src/domain/identity/attributes.ts';
import { rejectsWith } from '../support/identity-fixture.ts';

const policy = defaultPasswordPolicy(8);
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'ok';
};

describe('password policy (Cognito default)', () => {
  test('reports the first broken rule in Cognito wording', () => {
    assert.equal(passwordProblem('Ab1!', policy), 'Password not long enough');
    assert.equal(passwordProblem('abcdefg1!', policy), 'Password must have uppercase characters');
    assert.equal(passwordProblem('ABCDEFG1!', policy), 'Password must have lowercase characters');
    assert.equal(passwordProblem('Abcdefgh!', policy), 'Password must have numeric characters');
    assert.equal(passwordProblem('Abcdefgh1', policy), 'Password must have symbol characters');
    assert.equal(passwordProblem('Abcdefg1!', policy), undefined);
  });

  test('every one of Cognito\'s symbols counts, and so does an inner space', () => {
    for (const s of '^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+-') assert.equal(passwordProblem(`Abcdefg1${s}`, policy), undefined, s);
    assert.equal(passwordProblem('Abcd efg1', policy), undefined);
    assert.equal(passwordProblem('Abcdefg1€', policy), 'Password must have symbol characters');
  });

  test('non-Latin letters do not satisfy the case rules', () => {
    assert.equal(passwordProblem('ÄÖÜäöü1!x', policy), 'Password must have uppercase characters');
  });

  test('min length comes from config', () => {
    assert.equal(passwordProblem('Abcdef1!', defaultPasswordPolicy(12)), 'Password not long enough');
  });

  test('policy failures are InvalidPasswordException; model violations InvalidParameterException', () => {
    assert.equal(
      code(() => assertPasswordAllowed('password', policy)),
      'InvalidPasswordException: Password did not conform with policy: Password must have uppercase characters',
    );
    assert.match(code(() => assertPasswordAllowed(' Abcdefg1!', policy)), /^InvalidParameterException: .*pattern/);
    assert.match(code(() => assertPasswordAllowed('Abcdefg1! ', policy)), /^InvalidParameterException/);
    assert.match(code(() => assertPasswordAllowed(`Ab1!${'x'.repeat(253)}`, policy)), /^InvalidParameterException: .*256/);
    assert.equal(code(() => assertPasswordAllowed('Abcdefg1!', policy)), 'ok');
  });
});

describe('lockout schedule', () => {
  const p = { threshold: 5, maxSeconds: 900, idleResetMs: 900_000 };
  test('2^(n-5) seconds from the 5th failure, capped', () => {
    assert.deepEqual(
      [1, 4, 5, 6, 7, 8, 14, 15, 20, 100].map((n) => lockSeconds(n, p)),
      [0, 0, 1, 2, 4, 8, 512, 900, 900, 900],
    );
  });
  test('threshold and cap are configurable', () => {
    assert.equal(lockSeconds(3, { ...p, threshold: 3 }), 1);
    assert.equal(lockSeconds(9, { ...p, maxSeconds: 10 }), 10);
  });
});

describe('password hashing', () => {
  const hasher = createPasswordHasher();
  test('scrypt N=2^17 r=8 p=1 with a 16-byte salt, self-describing; verifies only the right password', async () => {
    // 100 characters: long passwords are not truncated (the last one still matters).
    const long = `Correct1!${'x'.repeat(90)}a`;
    const stored = await hasher.hash(long);
    assert.match(stored, /^\$scrypt\$ln=17,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/);
    assert.equal(parseHash(stored)!.salt.length, 16);
    assert.notEqual(parseHash(stored)!.salt.toString('hex'), parseHash(await hasher.hash(long))!.salt.toString('hex'));
    assert.equal(await hasher.verify(long, stored), true);
    assert.equal(await hasher.verify(`${long.slice(0, -1)}b`, stored), false);
  });
  test('unknown users (no hash) and corrupt hashes never verify', async () => {
    assert.equal(await hasher.verify('anything', undefined), false);
    assert.equal(await hasher.verify('anything', 'plaintext'), false);
    assert.equal(parseHash('$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), undefined);
  });
  test('a full queue answers TooManyRequestsException instead of piling up memory', async () => {
    const tiny = createPasswordHasher({ maxConcurrent: 1, maxQueue: 0 });
    const first = tiny.hash('Abcdefg1!');
    await rejectsWith(tiny.hash('Abcdefg1!'), 'TooManyRequestsException', 'Rate exceeded');
    await first;
  });
});

describe('attributes', () => {
  test('standard and custom attributes pass; sub and verified flags are not client-writable', () => {
    assert.deepEqual(
      validateAttributes([
        { name: 'email', value: 'a@example.com' },
        { name: 'nickname', value: 'al' },
        { name: 'custom:city', value: 'Oslo' },
      ]),
      { email: 'a@example.com', nickname: 'al', 'custom:city': 'Oslo' },
    );
    assert.equal(code(() => validateAttributes([{ name: 'sub', value: 'x' }])), 'NotAuthorizedException: A client attempted to write unauthorized attribute');
    assert.match(code(() => validateAttributes([{ name: 'email_verified', value: 'true' }])), /^NotAuthorizedException/);
    assert.match(code(() => validateAttributes([{ name: 'role', value: 'admin' }])), /^InvalidParameterException: .*role: Attribute does not exist/);
    assert.match(code(() => validateAttributes([{ name: 'email', value: 'nope' }])), /^InvalidParameterException: Invalid email/);
    assert.match(code(() => validateAttributes([{ name: 'name', value: 'x'.repeat(2049) }])), /^InvalidParameterException/);
  });
  test('destinations are masked like Cognito', () => {
    assert.equal(maskEmail('john@example.com'), 'j***@e***');
    assert.equal(maskPhone('+4712345678'), '+*******5678');
    assert.deepEqual(simulatedDelivery('ghost@example.com'), { destination: 'g***@e***', deliveryMedium: 'EMAIL', attributeName: 'email' });
    assert.deepEqual(simulatedDelivery('Ghost'), simulatedDelivery('ghost'));
  });
});

import { createDiffieHellman, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server side of Cognito's SRP-6a (USER_SRP_AUTH / PASSWORD_VERIFIER), matching the clients in
 * aws-amplify (`@aws-amplify/auth` utils/srp) and amazon-cognito-identity-js (AuthenticationHelper):
 * the 3072-bit RFC 5054 group with g = 2, SHA-256, k = H(PAD(N) | PAD(g)),
 * x = H(PAD(salt) | H(poolName | userId | ":" | password)), u = H(PAD(A) | PAD(B)), the session
 * key HKDF(ikm = PAD(S), salt = PAD(u), info = "Caldera Derived Key") truncated to 16 bytes, and
 * the claim HMAC-SHA256(key, poolName | userId | SECRET_BLOCK bytes | TIMESTAMP), base64.
 * PAD is Cognito's own: the minimal big-endian bytes, plus a 0x00 byte when the top bit is set
 * (Java's BigInteger.toByteArray), not RFC 5054's fixed-width padding.
 *
 * Modular exponentiation runs in OpenSSL through node:crypto's Diffie-Hellman (constant time and
 * several times faster than BigInt); BigInt does the rest of the arithmetic.
 */

const N_HEX =
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF';

export const SRP_N = BigInt(`0x${N_HEX}`);
export const SRP_G = 2n;
const N_BYTES = Buffer.from(N_HEX, 'hex');
const INFO = Buffer.from('Caldera Derived Key', 'utf8');
/** Largest SRP_A accepted, in hex digits (a 3072-bit value is 768). */
export const MAX_SRP_A_HEX = 1024;

/** Cognito's PAD: even-length hex of the minimal two's-complement encoding of a non-negative integer. */
export function padHex(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return /^[89a-f]/i.test(hex) ? `00${hex}` : hex;
}

const bytes = (n: bigint) => Buffer.from(padHex(n), 'hex');
const toBig = (buf: Buffer | string) => BigInt(`0x${typeof buf === 'string' ? buf : buf.toString('hex') || '0'}`);
const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

const K = toBig(sha256(bytes(SRP_N), bytes(SRP_G)));

/** base^exp mod N (N is the group prime); OpenSSL does the work when the base is a valid DH value. */
export function modPowN(base: bigint, exp: bigint): bigint {
  const b = ((base % SRP_N) + SRP_N) % SRP_N;
  if (exp === 0n) return 1n;
  if (b > 1n && b < SRP_N - 1n) {
    const dh = createDiffieHellman(N_BYTES, Buffer.from([2]));
    dh.setPrivateKey(Buffer.from(padHex(exp), 'hex'));
    return toBig(b === SRP_G ? (dh.generateKeys(), dh.getPublicKey()) : dh.computeSecret(Buffer.from(padHex(b), 'hex')));
  }
  // 0, 1 and N-1 (never produced by honest peers): plain square-and-multiply.
  let result = 1n;
  let acc = b;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * acc) % SRP_N;
    acc = (acc * acc) % SRP_N;
  }
  return result;
}

/** The per-user secret stored instead of anything SRP could reverse: a salt and v = g^x mod N. */
export interface SrpVerifier {
  /** Hex, as sent in SALT. */
  salt: string;
  /** Hex of v. */
  verifier: string;
}

function privateKeyX(poolName: string, userId: string, password: string, saltHex: string): bigint {
  const inner = createHash('sha256').update(`${poolName}${userId}:${password}`, 'utf8').digest();
  return toBig(sha256(bytes(toBig(saltHex)), inner));
}

/** A new salt and verifier for this user id and password (SignUp, password changes). */
export function createVerifier(poolName: string, userId: string, password: string): SrpVerifier {
  // The top bit clear and a non-zero first byte: the salt's hex round-trips unchanged through PAD.
  const raw = randomBytes(16);
  raw[0] = (raw[0] & 0x7f) | 0x01;
  const salt = raw.toString('hex');
  return { salt, verifier: modPowN(SRP_G, privateKeyX(poolName, userId, password, salt)).toString(16) };
}

/** The server's ephemeral pair: b (secret) and B = k*v + g^b mod N (sent as SRP_B). */
export function serverEphemeral(verifierHex: string): { b: string; B: string } {
  for (;;) {
    const b = toBig(randomBytes(32));
    const B = (K * toBig(verifierHex) + modPowN(SRP_G, b)) % SRP_N;
    if (B !== 0n) return { b: b.toString(16), B: B.toString(16) };
  }
}

/** Parses a client's SRP_A; undefined when it is not hex, too long, or A mod N is 0 (SRP's abort rule). */
export function parseClientA(hex: string): bigint | undefined {
  if (hex.length === 0 || hex.length > MAX_SRP_A_HEX || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const A = toBig(hex);
  return A % SRP_N === 0n ? undefined : A;
}

/** The 16-byte session key both sides derive; undefined when u = 0 (abort). */
export function sessionKey(o: { A: bigint; B: string; b: string; verifier: string }): Buffer | undefined {
  const B = toBig(o.B);
  const u = toBig(sha256(bytes(o.A), bytes(B)));
  if (u === 0n) return undefined;
  const S = modPowN((o.A * modPowN(toBig(o.verifier), u)) % SRP_N, toBig(o.b));
  return Buffer.from(hkdfSync('sha256', bytes(S), bytes(u), INFO, 16));
}

/** PASSWORD_CLAIM_SIGNATURE as the client computes it. */
export function claimSignature(key: Buffer, o: { poolName: string; userId: string; secretBlock: Buffer; timestamp: string }): Buffer {
  return createHmac('sha256', key)
    .update(Buffer.from(o.poolName, 'utf8'))
    .update(Buffer.from(o.userId, 'utf8'))
    .update(o.secretBlock)
    .update(Buffer.from(o.timestamp, 'utf8'))
    .digest();
}

/** Compares a base64 claim with the expected signature in constant time. */
export function claimMatches(expected: Buffer, claimBase64: string): boolean {
  const given = Buffer.from(claimBase64, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const TIMESTAMP = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2} \d{2}:\d{2}:\d{2} UTC \d{4}$/;

/** The TIMESTAMP format the clients send ("Tue Feb 6 09:30:13 UTC 2024"). */
export const isSrpTimestamp = (s: string) => TIMESTAMP.test(s);

/** A stable fake salt for a username that has no verifier, so SALT does not reveal who exists. */
export function simulatedSalt(key: Buffer, usernameKey: string): string {
  const raw = createHmac('sha256', key).update(`srp-salt|${usernameKey}`).digest().subarray(0, 16);
  raw[0] = (raw[0] & 0x7f) | 0x01;
  return raw.toString('hex');
}

/** A verifier-shaped random value for a username that has none (the challenge then always fails). */
export function simulatedVerifier(): string {
  return modPowN(SRP_G, toBig(randomBytes(32))).toString(16);
}

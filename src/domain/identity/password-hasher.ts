import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { errors } from './errors.ts';

/**
 * Password hashing with scrypt at OWASP's recommended cost (N=2^17, r=8, p=1: 128 MiB, ~100-300 ms).
 * The cost is a security property and is not configurable. Hashes are self-describing
 * (`$scrypt$ln=17,r=8,p=1$<salt>$<hash>`, base64url), so a later cost change can still verify
 * old hashes. Runs on the libuv pool (async), at most `maxConcurrent` at a time so a burst of
 * sign-ins cannot exhaust memory; beyond `maxQueue` waiting callers get TooManyRequestsException.
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * True when `password` matches `stored`. With `stored` undefined (unknown user) it runs the same
   * KDF against a dummy hash and returns false, so both cases take the same time.
   */
  verify(password: string, stored: string | undefined): Promise<boolean>;
  /** Computes the dummy hash ahead of the first unknown-user check. */
  warmUp(): Promise<void>;
}

const LOG_N = 17;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** 128·N·r·p = 128 MiB for the default cost; Node's default maxmem (32 MiB) would refuse it. */
const MAX_MEM = 256 * 1024 * 1024;

interface Params {
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer, logN: number, r: number, p: number, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** logN, r, p, maxmem: MAX_MEM };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export function formatHash(p: Params): string {
  return `$scrypt$ln=${p.logN},r=${p.r},p=${p.p}$${p.salt.toString('base64url')}$${p.hash.toString('base64url')}`;
}

/** Parses a stored hash; undefined for anything malformed or with parameters outside sane bounds. */
export function parseHash(stored: string): Params | undefined {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return undefined;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < 10 || logN > 20 || r < 1 || r > 16 || p < 1 || p > 4 || 128 * 2 ** logN * r * p > MAX_MEM) return undefined;
  const salt = Buffer.from(m[4], 'base64url');
  const hash = Buffer.from(m[5], 'base64url');
  if (salt.length < 16 || hash.length < 16 || hash.length > 64) return undefined;
  return { logN, r, p, salt, hash };
}

class Gate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly max: number,
    private readonly maxQueue: number,
  ) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.maxQueue) throw errors.rateExceeded();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

export function createPasswordHasher(options: { maxConcurrent?: number; maxQueue?: number } = {}): PasswordHasher {
  const gate = new Gate(options.maxConcurrent ?? 2, options.maxQueue ?? 64);
  let dummy: Promise<Params> | undefined;

  const hash = (password: string) =>
    gate.run(async () => {
      const salt = randomBytes(SALT_BYTES);
      const key = await derive(password, salt, LOG_N, R, P, KEY_BYTES);
      return formatHash({ logN: LOG_N, r: R, p: P, salt, hash: key });
    });

  // A hash of a random secret at the current cost: unknown users are checked against it.
  const dummyParams = () =>
    (dummy ??= hash(randomBytes(32).toString('base64url')).then((h) => parseHash(h)!));

  return {
    hash,
    async verify(password, stored) {
      const parsed = stored === undefined ? undefined : parseHash(stored);
      const target = parsed ?? (await dummyParams());
      const key = await gate.run(() => derive(password, target.salt, target.logN, target.r, target.p, target.hash.length));
      return parsed !== undefined && timingSafeEqual(key, target.hash);
    },
    async warmUp() {
      await dummyParams();
    },
  };
}

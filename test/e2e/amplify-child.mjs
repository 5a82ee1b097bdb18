// Runs Amplify JS v6, unchanged, in its own process (a process-wide singleton; NODE_EXTRA_CA_CERTS
// is read at process start). The job comes in BIILIVE_AMPLIFY_JOB: { config, storage?, steps }, each
// step { op, ...args } run in order; one JSON line per step on stdout: { op, ok, result } or
// { op, ok: false, error }. A failing step does not stop the next ones. Exits when all ran.
import { readFileSync } from 'node:fs';

// Node has no FileReader; the browsers and React Native Amplify Storage runs on do. This is the
// standard behaviour (readAsArrayBuffer -> onload with result), over Blob.arrayBuffer().
globalThis.FileReader ??= class FileReader {
  readAsArrayBuffer(blob) {
    blob.arrayBuffer().then(
      (buffer) => {
        this.result = buffer;
        this.onload?.();
      },
      (err) => {
        this.error = err;
        this.onerror?.();
      },
    );
  }
};

const { Amplify } = await import('aws-amplify');
const auth = await import('aws-amplify/auth');
const storage = await import('aws-amplify/storage');

const job = JSON.parse(process.env.BIILIVE_AMPLIFY_JOB);
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const describe = (err) => ({
  name: err?.name,
  message: err?.message,
  recoverySuggestion: err?.recoverySuggestion,
  underlying: err?.underlyingError ? { name: err.underlyingError.name, message: err.underlyingError.message } : undefined,
});
// Storage options: what `biilive info --amplify` says each call needs (customEndpoint, ...).
const withStorageOptions = (options = {}) => ({ ...(job.storageOptions ?? {}), ...options });

const ops = {
  signIn: async ({ username, password, options }) => auth.signIn({ username, password, ...(options ? { options } : {}) }),
  confirmSignIn: async ({ challengeResponse, options }) => auth.confirmSignIn({ challengeResponse, ...(options ? { options } : {}) }),
  getCurrentUser: async () => auth.getCurrentUser(),
  fetchAuthSession: async ({ forceRefresh }) => {
    const s = await auth.fetchAuthSession({ forceRefresh: Boolean(forceRefresh) });
    return {
      identityId: s.identityId,
      sub: s.userSub,
      hasTokens: Boolean(s.tokens?.idToken),
      credentials: s.credentials ? { accessKeyId: s.credentials.accessKeyId, expiration: s.credentials.expiration } : undefined,
    };
  },
  signOut: async () => auth.signOut(),
  uploadData: async ({ path, file, contentType, options }) => {
    const data = readFileSync(file);
    const task = storage.uploadData({ path, data, options: withStorageOptions({ contentType, ...options }) });
    const out = await task.result;
    return { path: out.path, size: out.size, contentType: out.contentType, eTag: out.eTag };
  },
  getUrl: async ({ path, options }) => {
    const out = await storage.getUrl({ path, options: withStorageOptions(options) });
    return { url: out.url.toString(), expiresAt: out.expiresAt };
  },
  list: async ({ path, options }) => {
    const out = await storage.list({ path, options: withStorageOptions(options) });
    return { items: out.items.map((i) => ({ path: i.path, size: i.size })) };
  },
  getProperties: async ({ path, options }) => {
    const out = await storage.getProperties({ path, options: withStorageOptions(options) });
    return { path: out.path, size: out.size, contentType: out.contentType };
  },
  remove: async ({ path, options }) => storage.remove({ path, options: withStorageOptions(options) }),
};

Amplify.configure(job.config);
for (const step of job.steps) {
  try {
    const result = await ops[step.op](step);
    emit({ op: step.op, ok: true, result: result ?? null });
  } catch (err) {
    emit({ op: step.op, ok: false, error: describe(err) });
  }
}
process.exit(0);

// Runs Amplify JS v6, unchanged, in its own process (it is a process-wide singleton, and
// NODE_EXTRA_CA_CERTS must be set when a process starts). The job comes in BIILIVE_AMPLIFY_JOB:
// { config, username?, password?, query, variables, authMode }. Prints JSON lines: connection
// states, subscription data and errors. Exits when its stdin closes.
import { WebSocket } from 'ws';

// Node 20 has no global WebSocket; Amplify uses whatever global there is.
globalThis.WebSocket = WebSocket;
const { Amplify } = await import('aws-amplify');
const { generateClient, CONNECTION_STATE_CHANGE } = await import('aws-amplify/api');
const { signIn } = await import('aws-amplify/auth');
const { Hub } = await import('aws-amplify/utils');

const job = JSON.parse(process.env.BIILIVE_AMPLIFY_JOB);
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
// Errors (and GraphQLErrors inside them) keep their fields non-enumerable: spell them out.
const describe = (err) =>
  JSON.parse(
    JSON.stringify(err, (_key, value) =>
      value instanceof Error ? { name: value.name, message: value.message, ...Object.fromEntries(Object.entries(value)) } : value,
    ) ?? 'null',
  );

try {
  Amplify.configure(job.config);
  if (job.username) {
    const result = await signIn({ username: job.username, password: job.password, options: { authFlowType: 'USER_PASSWORD_AUTH' } });
    emit({ event: 'signedIn', isSignedIn: result.isSignedIn });
  }
  Hub.listen('api', ({ payload }) => {
    if (payload.event === CONNECTION_STATE_CHANGE) emit({ event: 'state', state: payload.data.connectionState });
  });
  const client = generateClient();
  client.graphql({ query: job.query, variables: job.variables, authMode: job.authMode, authToken: job.authToken }).subscribe({
    next: (value) => emit({ event: 'data', data: value.data }),
    error: (err) => emit({ event: 'error', error: describe(err) }),
  });
} catch (err) {
  emit({ event: 'failed', error: describe(err) });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

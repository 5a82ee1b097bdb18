/**
 * getUser over HTTP (API key) on the embedded server, beside a bare node:http server answering a
 * fixed JSON body of the same size, in the same run. Server and baseline each run in their own
 * process; the load generator runs here. Prints one JSON object.
 *   npm run bench            (or: node --import tsx bench/get-user.ts [seconds])
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { biiliveBin, startProcess } from './support/processes.ts';
import { load } from './support/load.ts';
import { cognitoCall } from './support/cognito.ts';

const seconds = Number(process.argv[2] ?? 8);
const connections = Number(process.argv[3] ?? 20);
const dataDir = mkdtempSync(join(tmpdir(), 'biilive-bench-'));

const cognito = cognitoCall;

const coldStart = performance.now();
const server = await startProcess(
  [biiliveBin, 'serve', '--port', '0', '--data-dir', dataDir, '--auto-confirm', '--log-level', 'warn'],
  /API key:\s+\S+/,
);
const coldStartMs = Math.round(performance.now() - coldStart);
try {
  const graphqlUrl = /GraphQL:\s+(\S+)/.exec(server.stdout)![1];
  const cognitoUrl = /Identity endpoint:\s+(\S+)/.exec(server.stdout)![1];
  const clientId = /Client id:\s+(\S+)/.exec(server.stdout)![1];
  const apiKey = /API key:\s+(\S+)/.exec(server.stdout)![1];
  const signUp = await cognito(cognitoUrl, 'SignUp', {
    ClientId: clientId,
    Username: 'benchuser',
    Password: 'Bench-Passw0rd!',
    UserAttributes: [{ Name: 'email', Value: 'bench@example.com' }, { Name: 'name', Value: 'Bench User' }],
  });
  const body = JSON.stringify({
    query: 'query Get($id: ID!) { getUser(userId: $id) { userId nickname nombreCompleto seguidores siguiendo puntos nivel ciudad pais } }',
    variables: { id: signUp.UserSub },
  });
  const probe = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body });
  const probeText = await probe.text();
  if (!probeText.includes('benchuser')) throw new Error(`getUser probe failed: ${probeText}`);

  const baseline = await startProcess(['bench/support/bare-server.mjs', String(probeText.length)], /listening \d+/);
  const baselineUrl = `http://127.0.0.1:${/listening (\d+)/.exec(baseline.stdout)![1]}/`;
  try {
    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
    // Warm both, then measure each in turn.
    await load({ url: graphqlUrl, method: 'POST', headers, body, durationSeconds: 2 });
    await load({ url: baselineUrl, method: 'POST', headers, body, durationSeconds: 2 });
    const getUser = await load({ url: graphqlUrl, method: 'POST', headers, body, durationSeconds: seconds, connections });
    const bare = await load({ url: baselineUrl, method: 'POST', headers, body, durationSeconds: seconds, connections });
    console.log(
      JSON.stringify(
        {
          bench: 'getUser over HTTP, API key, embedded SQLite',
          coldStartToReadyMs: coldStartMs,
          connections,
          getUser,
          baseline: { what: 'bare node:http, fixed JSON body of the same size', ...bare },
          ratio: { requestsPerSecond: +(getUser.requestsPerSecond / bare.requestsPerSecond).toFixed(3), p99: +(getUser.p99Ms / Math.max(bare.p99Ms, 0.001)).toFixed(2) },
        },
        null,
        2,
      ),
    );
  } finally {
    await baseline.stop();
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

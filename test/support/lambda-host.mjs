// Runs one bundled Lambda handler the way a warm Lambda container does: the module is imported
// once, then each event (NDJSON on stdin: {id, event}) is handled in turn; results go to stdout as
// NDJSON ({id, result} or {id, error}). Plain JS so any Node binary (the Lambda runtime's major
// version) runs it without a TypeScript loader.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const out = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const started = performance.now();
const mod = await import(pathToFileURL(process.argv[2]).href);
out({ ready: true, importMs: performance.now() - started, node: process.version, exports: Object.keys(mod) });

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { id, event } = JSON.parse(line);
  const context = { awsRequestId: id, functionName: 'test', getRemainingTimeInMillis: () => 900_000 };
  try {
    const result = await mod.handler(event, context);
    out({ id, result: result ?? null });
  } catch (err) {
    out({ id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err) } });
  }
}

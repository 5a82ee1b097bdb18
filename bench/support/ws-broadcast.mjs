/* global setImmediate */
// Baseline for the realtime bench: a bare `ws` server; POST /publish answers 200, then broadcasts
// the body, as is, to every connected socket.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const sockets = new Set();
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    // Answer first, then broadcast: the order the embedded server uses (a mutation's response
    // never waits for its subscribers), so "from response" means the same on both sides.
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
    setImmediate(() => {
      for (const ws of sockets) ws.send(body);
    });
  });
});
server.on('upgrade', (req, socket, head) =>
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
  }),
);
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  for (const ws of sockets) ws.terminate();
  server.close(() => process.exit(0));
});

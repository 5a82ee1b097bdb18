// Baseline for the realtime bench: a bare `ws` server; POST /publish broadcasts the body, as is,
// to every connected socket, then answers 200.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const sockets = new Set();
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    for (const ws of sockets) ws.send(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
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

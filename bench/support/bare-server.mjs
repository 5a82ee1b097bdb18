// Baseline: a bare node:http server answering a fixed JSON body of the given size.
import { createServer } from 'node:http';
const size = Number(process.argv[2] ?? 300);
const body = JSON.stringify({ data: { pad: 'x'.repeat(Math.max(0, size - 20)) } });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

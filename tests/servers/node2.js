#!/usr/bin/env node
// socket.io 2 (Engine.IO v3) on a plain node http server, for rtdoctor's tests.
//
// usage: node tests/servers/node2.js PORT [--host 127.0.0.1] [--ping-interval MS]
//
//   /health          200 application/json {"status":"ok"}
//   other paths      404 text/plain "Not Found"
//   /socket.io/      socket.io 2.5 (packages from target/peers/node2), defaults
//   namespace /      accepts everyone; event "ping" acks "pong"
//   (no /admin namespace: a CONNECT to it gets socket.io 2's "Invalid namespace")
//   --ping-interval MS  pingInterval (the open packet's; the client pings)
//
// Prints the single line "ready" on stdout once listening; runs until killed.
'use strict';
const http = require('http');
const path = require('path');

const peers = process.env.RTDOCTOR_PEERS || path.join(__dirname, '..', '..', 'target', 'peers');
const peerRequire = (m) => require(require.resolve(m, { paths: [path.join(peers, 'node2')] }));
const socketio = peerRequire('socket.io');

const argv = process.argv.slice(2);
let port = null, host = '127.0.0.1', pingInterval = null;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--host') host = argv[++i];
  else if (a === '--ping-interval') pingInterval = Number(argv[++i]);
  else if (/^\d+$/.test(a)) port = Number(a);
  else { console.error(`node2.js: unknown argument ${a}`); process.exit(2); }
}
if (port === null) { console.error('usage: node2.js PORT [--host H]'); process.exit(2); }

const server = http.createServer((req, res) => {
  if (req.url === '/health' || req.url.startsWith('/health?')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('Not Found');
});

const io = socketio(server, pingInterval === null ? {} : { pingInterval });
io.on('connection', (socket) => {
  socket.on('ping', (...args) => {
    const ack = args[args.length - 1];
    if (typeof ack === 'function') ack('pong');
  });
});

server.listen(port, host, () => { process.stdout.write('ready\n'); });

#!/usr/bin/env node
// socket.io 4 (Engine.IO v4) on a plain node http server, for rtdoctor's tests.
//
// usage: node tests/servers/node4.js PORT [--host 127.0.0.1] [--eio3] [--cors ORIGIN] [--bare]
//                                          [--two-handlers]
//
//   /health          200 application/json {"status":"ok"}
//   other paths      404 text/plain "Not Found"
//   --bare           no request handler at all (http.createServer() with no
//                    listener, as some apps do): /health and every other path
//                    outside /socket.io/ then get NO answer (engine.io only
//                    forwards them to the app's listeners, and there are none)
//   /socket.io/      socket.io 4.8 (packages from target/peers/node4)
//   namespace /      accepts everyone; event "ping" acks "pong"
//   namespace /chat  accepts everyone (a target http://host:PORT/chat reaches it)
//   namespace /admin middleware: next(new Error('authentication failed'))
//                    unless handshake.auth.token === 'secret'
//   --two-handlers   also attach a ws WebSocketServer({ server }) with no path:
//                    it answers every upgrade, /socket.io/ too, as socket.io
//                    does (the "two upgrade handlers on one server" bug)
//   --eio3           allowEIO3: true (accept Engine.IO v3 / socket.io 2 clients)
//   --cors ORIGIN    cors: { origin: ORIGIN } (socket.io's default: no CORS)
//   --credentials    with --cors: credentials: true
//   --ping-interval MS  pingInterval (the open packet's), in milliseconds
//
// Prints the single line "ready" on stdout once listening; runs until killed.
'use strict';
const http = require('http');
const path = require('path');

const peers = process.env.RTDOCTOR_PEERS || path.join(__dirname, '..', '..', 'target', 'peers');
const peerRequire = (m) => require(require.resolve(m, { paths: [path.join(peers, 'node4')] }));
const { Server } = peerRequire('socket.io');

const argv = process.argv.slice(2);
let pingInterval = null;
let port = null, host = '127.0.0.1', eio3 = false, cors = null, bare = false, twoHandlers = false, credentials = false;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--host') host = argv[++i];
  else if (a === '--eio3') eio3 = true;
  else if (a === '--cors') cors = argv[++i];
  else if (a === '--bare') bare = true;
  else if (a === '--two-handlers') twoHandlers = true;
  else if (a === '--credentials') credentials = true;
  else if (a === '--ping-interval') pingInterval = Number(argv[++i]);
  else if (/^\d+$/.test(a)) port = Number(a);
  else { console.error(`node4.js: unknown argument ${a}`); process.exit(2); }
}
if (port === null) { console.error('usage: node4.js PORT [--host H] [--eio3] [--cors ORIGIN] [--bare]'); process.exit(2); }

const server = bare ? http.createServer() : http.createServer((req, res) => {
  if (req.url === '/health' || req.url.startsWith('/health?')) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('Not Found');
});

const opts = {};
if (eio3) opts.allowEIO3 = true;
if (pingInterval !== null) opts.pingInterval = pingInterval;
if (cors !== null) opts.cors = credentials ? { origin: cors, credentials: true } : { origin: cors };
const io = new Server(server, opts);
if (twoHandlers) {
  const { WebSocketServer } = peerRequire('ws');
  new WebSocketServer({ server }).on('connection', (ws) => ws.send('hello from ws'));
}

const ackPong = (socket) => socket.on('ping', (...args) => {
  const ack = args[args.length - 1];
  if (typeof ack === 'function') ack('pong');
});

io.on('connection', ackPong);

io.of('/chat').on('connection', ackPong);

const admin = io.of('/admin');
admin.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  if (auth.token === 'secret') next();
  else next(new Error('authentication failed'));
});
admin.on('connection', ackPong);

server.listen(port, host, () => { process.stdout.write('ready\n'); });

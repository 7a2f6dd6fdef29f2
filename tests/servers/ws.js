#!/usr/bin/env node
// A plain WebSocket server (the `ws` package, no Socket.IO), for rtdoctor's tests.
//
// usage: node tests/servers/ws.js PORT [--path /ws] [--protocol NAME]...
//            [--origin ORIGIN] [--hello TEXT] [--deflate] [--ping MS]
//            [--close-after MS]
//
//   --path P         only this path upgrades (ws answers others with 400)
//   --protocol NAME  handleProtocols picks NAME when the client offers it
//   --origin O       verifyClient accepts only this Origin (others: 403)
//   --hello TEXT     send TEXT to each client when it connects
//   --deflate        perMessageDeflate: true (off by default in ws 8)
//   --max-payload N  maxPayload: N bytes (larger messages: close 1009)
//   --ping MS        ping each client every MS milliseconds (ws itself sends
//                    no pings: the heartbeat its README shows, without the
//                    termination of clients that miss a pong)
//   --close-after MS close each connection MS milliseconds after it opened,
//                    whatever its traffic: close frame 1001 "lifetime"
//   --log-headers F  append one JSON line per request to F: method, url,
//                    upgrade or not, user-agent, and every X-Tag header as
//                    sent (rawHeaders: repeated names stay apart)
//   /health          200 application/json {"status":"ok"}; other GETs 426
//                    "Upgrade Required", as ws's own HTTP server answers
//
// Prints the single line "ready" on stdout once listening; runs until killed.
'use strict';
const http = require('http');
const path = require('path');

const peers = process.env.RTDOCTOR_PEERS || path.join(__dirname, '..', '..', 'target', 'peers');
const { WebSocketServer } = require(require.resolve('ws', { paths: [path.join(peers, 'node4')] }));

const argv = process.argv.slice(2);
let port = null, wsPath = undefined, origin = null, hello = null, deflate = false, logHeaders = null, maxPayload = null;
let pingMs = null, closeAfter = null;
const protocols = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--path') wsPath = argv[++i];
  else if (a === '--protocol') protocols.push(argv[++i]);
  else if (a === '--origin') origin = argv[++i];
  else if (a === '--hello') hello = argv[++i];
  else if (a === '--deflate') deflate = true;
  else if (a === '--max-payload') maxPayload = Number(argv[++i]);
  else if (a === '--log-headers') logHeaders = argv[++i];
  else if (a === '--ping') pingMs = Number(argv[++i]);
  else if (a === '--close-after') closeAfter = Number(argv[++i]);
  else if (/^\d+$/.test(a)) port = Number(a);
  else { console.error(`ws.js: unknown argument ${a}`); process.exit(2); }
}
if (port === null) { console.error('usage: ws.js PORT [--path P] [--protocol N]... [--origin O] [--hello T] [--deflate]'); process.exit(2); }

function log(req) {
  if (logHeaders === null) return;
  const tags = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'x-tag') tags.push(req.rawHeaders[i + 1]);
  }
  const line = { method: req.method, url: req.url, upgrade: !!req.headers.upgrade,
    ua: req.headers['user-agent'] || '', tags };
  require('fs').appendFileSync(logHeaders, JSON.stringify(line) + '\n');
}

const server = http.createServer((req, res) => {
  log(req);
  if (req.url === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('Upgrade Required');
});

server.on('upgrade', (req) => log(req));
const opts = { server, perMessageDeflate: deflate };
if (wsPath) opts.path = wsPath;
if (maxPayload !== null) opts.maxPayload = maxPayload;
if (origin) opts.verifyClient = (info) => info.origin === origin;
if (protocols.length) opts.handleProtocols = (offered) => protocols.find((p) => offered.has(p)) || false;
new WebSocketServer(opts).on('connection', (ws) => {
  if (hello !== null) ws.send(hello);
  // A message over --max-payload: ws closes with 1009 and emits 'error'.
  ws.on('error', () => {});
  if (pingMs !== null) {
    const timer = setInterval(() => ws.ping(), pingMs);
    ws.on('close', () => clearInterval(timer));
  }
  if (closeAfter !== null) {
    const timer = setTimeout(() => ws.close(1001, 'lifetime'), closeAfter);
    ws.on('close', () => clearTimeout(timer));
  }
  // ws 8 hands over a Buffer: echo text as text, binary as binary.
  ws.on('message', (m, isBinary) => ws.send(m, { binary: isBinary }));
});

server.listen(port, '127.0.0.1', () => { process.stdout.write('ready\n'); });

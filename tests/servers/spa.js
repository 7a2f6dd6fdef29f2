#!/usr/bin/env node
// A single-page-app server: index.html for every path, no WebSocket or
// Socket.IO at all (the "SPA fallback" that answers /socket.io/ and
// websocket upgrades with the app's page), for rtdoctor's tests.
//
// usage: node tests/servers/spa.js PORT
// Node's http server has no 'upgrade' listener here, so upgrade requests
// reach the request handler like any other GET.
// Prints the single line "ready" on stdout once listening; runs until killed.
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
if (!Number.isInteger(port)) { console.error('usage: spa.js PORT'); process.exit(2); }
const page = '<!DOCTYPE html><html><head><title>app</title></head><body><div id="root"></div></body></html>';
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(page);
}).listen(port, '127.0.0.1', () => { process.stdout.write('ready\n'); });

#!/usr/bin/env python3
"""A healthy python-socketio 5 AsyncServer on aiohttp, for rtdoctor's tests.

usage: target/peers/py/bin/python tests/servers/py_healthy.py PORT
           [--host 127.0.0.1] [--cors ORIGIN]... [--no-upgrades] [--log]
           [--ping-interval SECONDS] [--ping-timeout SECONDS]
           [--block SECONDS] [--server-header VALUE]

  /health          200 application/json {"status":"ok"}
  /socket.io/      Socket.IO (Engine.IO v4 only; python-engineio has no v3)
  namespace /      accepts everyone; event "ping" acks "pong"
  namespace /chat  accepts everyone (a target http://host:PORT/chat reaches it)
  namespace /admin refuses a CONNECT unless auth == {"token": "secret"}
                   (ConnectionRefusedError('authentication failed'))
  --cors ORIGIN    cors_allowed_origins: repeat for a list; '*' allows all,
                   'none' gives [] (CORS handling off). Without it:
                   python-socketio's default (None = same origin only).
  --no-upgrades    allow_upgrades=False: the handshake offers "upgrades":[]
                   (as a server without WebSocket support does)
  --log            engineio/socketio logging to stderr
  --ping-interval S  ping_interval (seconds; the open packet's pingInterval)
  --ping-timeout S   ping_timeout (seconds; the open packet's pingTimeout)
  --block S        a background task blocks the event loop with time.sleep(S)
                   (the bug: a blocking call in async code), then yields for
                   S/2 seconds, over and over: pings go out late
  --server-header V  every answer's Server header is V (a platform's own, e.g.
                   cloudflare, for a proxy that passes it on)
  /echo            200 application/json: the request's headers, echoed
  namespace /echo  refuses every CONNECT, quoting the auth it was sent
  namespace /query refuses every CONNECT, quoting the handshake's query string
  Other arguments are ignored (tests put secrets on the command line).

Prints the single line "ready" on stdout once it accepts connections, then
runs until killed.
"""
import argparse
import asyncio
import json
import sys

import socketio
from aiohttp import web


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--cors", action="append")
    p.add_argument("--no-upgrades", action="store_true")
    p.add_argument("--log", action="store_true")
    p.add_argument("--ping-interval", type=float)
    p.add_argument("--ping-timeout", type=float)
    p.add_argument("--block", type=float)
    p.add_argument("--server-header")
    args, _ = p.parse_known_args()

    kw = {}
    if args.cors:
        if args.cors == ["none"]:
            kw["cors_allowed_origins"] = []
        elif len(args.cors) == 1:
            kw["cors_allowed_origins"] = args.cors[0]
        else:
            kw["cors_allowed_origins"] = args.cors
    if args.no_upgrades:
        kw["allow_upgrades"] = False
    if args.ping_interval is not None:
        kw["ping_interval"] = args.ping_interval
    if args.ping_timeout is not None:
        kw["ping_timeout"] = args.ping_timeout
    if args.log:
        kw["logger"] = True
        kw["engineio_logger"] = True

    sio = socketio.AsyncServer(async_mode="aiohttp", **kw)
    app = web.Application()
    sio.attach(app)

    if args.server_header:
        async def server_header(request, response):
            response.headers["Server"] = args.server_header

        app.on_response_prepare.append(server_header)

    async def health(request):
        return web.Response(text='{"status":"ok"}', content_type="application/json")

    app.router.add_get("/health", health)

    async def echo(request):
        return web.Response(text=json.dumps(dict(request.headers)), content_type="application/json")

    app.router.add_get("/echo", echo)

    @sio.on("connect", namespace="/echo")
    async def on_echo_connect(sid, environ, auth):
        raise socketio.exceptions.ConnectionRefusedError("refused auth " + json.dumps(auth))

    @sio.on("connect", namespace="/query")
    async def on_query_connect(sid, environ, auth):
        raise socketio.exceptions.ConnectionRefusedError("query " + environ.get("QUERY_STRING", ""))

    @sio.on("connect")
    async def on_connect(sid, environ, auth):
        return True

    @sio.on("ping")
    async def on_ping(sid, *args):
        return "pong"

    @sio.on("connect", namespace="/chat")
    async def on_chat_connect(sid, environ, auth):
        return True

    @sio.on("connect", namespace="/admin")
    async def on_admin_connect(sid, environ, auth):
        if not isinstance(auth, dict) or auth.get("token") != "secret":
            raise socketio.exceptions.ConnectionRefusedError("authentication failed")
        return True

    @sio.on("ping", namespace="/admin")
    async def on_admin_ping(sid, *args):
        return "pong"

    async def block(seconds):
        import time
        while True:
            await asyncio.sleep(seconds / 2)
            time.sleep(seconds)

    async def serve():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        if args.block:
            asyncio.get_running_loop().create_task(block(args.block))
        print("ready", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

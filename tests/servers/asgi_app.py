"""python-socketio 5's ASGI app, for rtdoctor's tests under an ASGI server.

usage: target/peers/py/bin/uvicorn --app-dir tests/servers asgi_app:app
           --host 127.0.0.1 --port PORT [--ws none|wsproto]

  /health      200 text/plain "ok"
  /socket.io/  Socket.IO (Engine.IO v4); namespace / accepts everyone
With --ws none uvicorn has no WebSocket protocol and refuses the upgrade, as
it does when neither websockets nor wsproto is installed.
"""
import socketio

sio = socketio.AsyncServer(async_mode="asgi")


async def health(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


app = socketio.ASGIApp(sio, other_asgi_app=health)

"""A Flask-SocketIO 5 app as people deploy it, for rtdoctor's tests.

Run it under gunicorn's DEFAULT (sync) worker, from tests/servers:

  target/peers/py/bin/gunicorn --chdir tests/servers -w 1 -b 127.0.0.1:PORT flask_app:app
  target/peers/py/bin/gunicorn --chdir tests/servers -w 2 -b 127.0.0.1:PORT flask_app:app

gunicorn prints no "ready" line: poll GET /health until it answers 200
(the master binds the port before the workers boot; a TCP connect can
succeed before a worker is there to answer). With -w 2, also wait for two
"Booting worker with pid" lines on gunicorn's stderr if both workers must be up.

  /health          200 application/json {"status":"ok"}
  /socket.io/      Flask-SocketIO (python-socketio 5, async_mode chosen by
                   Flask-SocketIO: 'threading' here, no eventlet/gevent)
  namespace /      accepts everyone; event "ping" acks "pong"
  namespace /admin refuses a CONNECT unless auth == {"token": "secret"}
"""
from flask import Flask, jsonify
from flask_socketio import ConnectionRefusedError, SocketIO

app = Flask(__name__)
socketio = SocketIO(app)


@app.get("/health")
def health():
    return jsonify(status="ok")


@socketio.on("ping")
def on_ping(*args):
    return "pong"


@socketio.on("connect", namespace="/admin")
def on_admin_connect(auth=None):
    if not isinstance(auth, dict) or auth.get("token") != "secret":
        raise ConnectionRefusedError("authentication failed")


@socketio.on("ping", namespace="/admin")
def on_admin_ping(*args):
    return "pong"

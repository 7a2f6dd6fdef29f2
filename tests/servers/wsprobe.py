#!/usr/bin/env python3
"""Raw-socket WebSocket probe used to capture WIRE.md (stdlib only).

usage: wsprobe.py HOST PORT PATH [ACTION]...
  ACTION: read:SECONDS  print every frame received for SECONDS
          send:TEXT     send TEXT as one masked text frame
          H:Name: value extra request header (before the request is sent)
          noupgrade     send the request WITHOUT Upgrade/Connection headers
          close         send a close frame

Prints the raw response head (status line + headers, as repr'd bytes), the
first body bytes if the answer is not 101, then one line per frame:
  <- text '0{"sid":...}'      (server to client)
  -> text '40'                (client to server)
  <- close code=1000 reason=''
and the elapsed time of each step.
"""
import base64
import os
import socket
import struct
import sys
import time


def recv_head(s, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            return buf, b"", "timeout"
        if not chunk:
            return buf, b"", "eof"
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n", rest, None


class Frames:
    def __init__(self, s, rest):
        self.s = s
        self.buf = rest

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            self.s.settimeout(left)
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError()
            self.buf += chunk

    def next(self, deadline):
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        op = b0 & 0x0F
        ln = b1 & 0x7F
        off = 2
        if ln == 126:
            self._need(4, deadline)
            ln = struct.unpack(">H", self.buf[2:4])[0]
            off = 4
        elif ln == 127:
            self._need(10, deadline)
            ln = struct.unpack(">Q", self.buf[2:10])[0]
            off = 10
        self._need(off + ln, deadline)
        payload = self.buf[off:off + ln]
        self.buf = self.buf[off + ln:]
        return op, payload


def send_frame(s, op, payload):
    mask = os.urandom(4)
    hdr = bytes([0x80 | op])
    n = len(payload)
    if n < 126:
        hdr += bytes([0x80 | n])
    elif n < 65536:
        hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(hdr + mask + masked)


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    actions = sys.argv[4:]
    extra = [a[2:] for a in actions if a.startswith("H:")]
    upgrade = "noupgrade" not in actions
    actions = [a for a in actions if not a.startswith("H:") and a != "noupgrade"]

    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    if upgrade:
        lines += ["Upgrade: websocket", "Connection: Upgrade",
                  f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += extra
    req = ("\r\n".join(lines) + "\r\n\r\n").encode()

    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(req)
    print(f"request: {req!r}")
    head, rest, err = recv_head(s, t0 + 5)
    dt = time.monotonic() - t0
    print(f"response head after {dt:.3f}s ({err or 'complete'}):")
    for line in head.split(b"\r\n"):
        if line:
            print(f"  {line!r}")
    if not head.startswith(b"HTTP/1.1 101"):
        # read whatever body follows (bounded)
        body = rest
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and len(body) < 4096:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                print("  (body read: timeout after 2s)")
                break
            if not chunk:
                print("  (connection closed by server)")
                break
            body += chunk
        print(f"body bytes: {body!r}")
        return
    fr = Frames(s, rest)
    for a in actions:
        if a.startswith("send:"):
            payload = a[5:].encode()
            send_frame(s, 0x1, payload)
            print(f"  -> text {a[5:]!r}")
        elif a == "close":
            send_frame(s, 0x8, struct.pack(">H", 1000))
            print("  -> close code=1000")
        elif a.startswith("read:"):
            secs = float(a[5:])
            deadline = time.monotonic() + secs
            while True:
                try:
                    op, payload = fr.next(deadline)
                except socket.timeout:
                    break
                except EOFError:
                    print(f"  <- EOF (TCP closed by server) at {time.monotonic() - t0:.3f}s")
                    return
                at = time.monotonic() - t0
                if op == 0x1:
                    print(f"  <- text {payload.decode(errors='replace')!r}   [{at:.3f}s]")
                elif op == 0x2:
                    print(f"  <- binary {payload!r}   [{at:.3f}s]")
                elif op == 0x8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                    print(f"  <- close code={code} reason={payload[2:]!r}   [{at:.3f}s]")
                elif op == 0x9:
                    print(f"  <- ping {payload!r}   [{at:.3f}s]")
                else:
                    print(f"  <- op={op} {payload!r}   [{at:.3f}s]")
            print(f"  (read window of {secs}s over)")
    s.close()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Print a `curl -i -o FILE` capture for WIRE.md: head lines as text, body as
Python bytes repr (exact: \\x1e separators, v3 length prefixes are visible)."""
import sys

short = sys.argv[1] == "--short"
data = open(sys.argv[-1], "rb").read()
if short:
    status = data.split(b"\r\n", 1)[0].decode("latin-1") if data else "(no bytes received)"
    body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
    print(f"-> {status}; body {body!r}", end="")
    sys.exit(0)
if not data:
    print("(no bytes received)")
    sys.exit(0)
# curl -i may write several heads (e.g. 100 Continue); print them all.
while data.startswith(b"HTTP/"):
    if b"\r\n\r\n" not in data:
        print(data.decode("latin-1"))
        print("(head incomplete)")
        sys.exit(0)
    head, data = data.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n"):
        print(line.decode("latin-1"))
    print()
print(f"body ({len(data)} bytes): {data!r}")

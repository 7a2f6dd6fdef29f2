#!/usr/bin/env python3
"""A TCP proxy that adds network latency, for rtdoctor's latency bench.

usage: python3 benches/latency_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT DELAY_MS

Listens on 127.0.0.1:LISTEN_PORT; each connection accepted is forwarded to
UPSTREAM (connected at once, so a server that accepts in order sees the
client's order). The model, with D = DELAY_MS, for a connection accepted at
time A:
  - a chunk read from the client at time t is written upstream at
    max(t, A + 2D) + D: a new connection's first bytes wait one more round
    trip, as a TCP handshake would (SYN, SYN-ACK, then the data);
  - a chunk read from upstream at t is written to the client at t + D;
  - each direction keeps its order (a chunk never overtakes an earlier one),
    and an end of stream (half-close) goes through the same queue, D later.
A failed write (the other end reset) closes both sides.

Prints "ready" once it listens, nothing per connection; runs until killed.
"""
import asyncio
import socket
import sys

CHUNK = 65536


def nodelay(writer):
    # Nagle's algorithm would add its own delay to small writes.
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def read_into(reader, queue, earliest, delay):
    """Read chunks (then the end of stream, as None) into `queue`, each with
    the time it is due: max(read time, earliest) + delay."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            data = await reader.read(CHUNK)
        except (ConnectionError, OSError):
            data = b""
        await queue.put((max(loop.time(), earliest) + delay, data or None))
        if not data:
            return


async def write_from(queue, writer):
    """Write what `queue` holds, each item at its due time, in order; None
    half-closes. Raises on a failed write."""
    loop = asyncio.get_running_loop()
    while True:
        due, data = await queue.get()
        wait = due - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        if data is None:
            if writer.can_write_eof():
                writer.write_eof()
            return
        writer.write(data)
        await writer.drain()


async def direction(reader, writer, earliest, delay):
    queue = asyncio.Queue()
    read = asyncio.create_task(read_into(reader, queue, earliest, delay))
    try:
        await write_from(queue, writer)
    finally:
        read.cancel()
        await asyncio.gather(read, return_exceptions=True)


def close(writer):
    try:
        writer.close()
    except (ConnectionError, OSError):
        pass


async def handle(client_r, client_w, upstream_host, upstream_port, delay):
    accepted = asyncio.get_running_loop().time()
    nodelay(client_w)
    try:
        up_r, up_w = await asyncio.open_connection(upstream_host, upstream_port)
    except OSError:
        close(client_w)
        return
    nodelay(up_w)
    tasks = [
        asyncio.create_task(direction(client_r, up_w, accepted + 2 * delay, delay)),
        asyncio.create_task(direction(up_r, client_w, 0.0, delay)),
    ]
    try:
        # Both directions end with their end of stream; a failed write in
        # one ends the connection (as a reset would).
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for t in pending:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for t in tasks:
            t.cancel()
        close(up_w)
        close(client_w)


async def main(listen_port, upstream, delay_ms):
    host, _, port = upstream.rpartition(":")
    delay = delay_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, host, int(port), delay),
        "127.0.0.1",
        listen_port,
        backlog=256,
    )
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    try:
        asyncio.run(main(int(sys.argv[1]), sys.argv[2], float(sys.argv[3])))
    except KeyboardInterrupt:
        pass

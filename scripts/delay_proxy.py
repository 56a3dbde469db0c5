#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by half a round trip each way, without a bandwidth cap: what a client
sees of a server RTT milliseconds away. Each chunk is forwarded RTT/2 after it arrived (chunks keep their order,
and a chunk never waits for the one before it to be delayed again), so a stream still runs at full speed once
it started, as on a long fat pipe.

    usage: delay_proxy.py --target HOST:PORT --rtt-ms 20 [--port 0]

Prints "PORT <n>" on stdout once listening, then runs until killed (SIGTERM/SIGINT).
"""
import argparse
import asyncio
import signal
import socket

CHUNK = 256 << 10


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk RTT/2 after it was read; closes the write side at EOF."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def send():
        try:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    break
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass  # the other side closed first (a client done with a kept-alive connection): not worth a traceback

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(CHUNK)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
            while queue.qsize() > 64:  # the other side reads slower: back-pressure instead of buffering it all
                await asyncio.sleep(0.001)
        await sender
    except (ConnectionError, OSError):
        sender.cancel()


async def handle(client_reader, client_writer, target, delay):
    host, port = target
    try:
        server_reader, server_writer = await asyncio.open_connection(host, port)
    except OSError:
        client_writer.close()
        return
    for w in (client_writer, server_writer):
        sock = w.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await asyncio.gather(pump(client_reader, server_writer, delay), pump(server_reader, client_writer, delay))
    except asyncio.CancelledError:
        pass  # the proxy is stopping with this connection still open: nothing to report
    finally:
        for w in (client_writer, server_writer):
            w.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True, help="HOST:PORT of the server")
    ap.add_argument("--rtt-ms", type=float, default=20)
    ap.add_argument("--port", type=int, default=0, help="port to listen on, 127.0.0.1 (0: a free one)")
    a = ap.parse_args()
    host, port = a.target.rsplit(":", 1)
    delay = a.rtt_ms / 2000.0
    server = await asyncio.start_server(lambda r, w: handle(r, w, (host, int(port)), delay), "127.0.0.1", a.port,
                                        backlog=512)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""
countproxy.py - a loopback TCP relay that counts the bytes on the wire,
for bench-compress.sh.  countproxy.py TARGET_PORT COUNTS_FILE: listens
on 127.0.0.1 (a free port, printed on stdout), relays each connection to
127.0.0.1:TARGET_PORT, and when one ends appends "UP DOWN" to COUNTS_FILE
(bytes client -> server, server -> client, as they crossed the socket:
TLS records and all).  Runs until killed.
"""
import selectors
import socket
import sys


def relay(client, target, counts):
    server = socket.create_connection(("127.0.0.1", target))
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, server)
    sel.register(server, selectors.EVENT_READ, client)
    moved = {client: 0, server: 0}
    open_ends = 2
    while open_ends > 0:
        for key, _ in sel.select():
            src, dst = key.fileobj, key.data
            try:
                data = src.recv(262144)
            except OSError:     # a reset: the session is over
                data = b""
            if not data:
                sel.unregister(src)
                open_ends -= 1
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            moved[src] += len(data)
            try:
                dst.sendall(data)
            except OSError:     # the other end is gone
                open_ends = 0
                break
    client.close()
    server.close()
    with open(counts, "a") as f:
        f.write("%d %d\n" % (moved[client], moved[server]))


def main():
    target, counts = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    print(ls.getsockname()[1], flush=True)
    while True:
        client, _ = ls.accept()
        try:
            relay(client, target, counts)
        except OSError as e:
            print("countproxy: %s" % e, file=sys.stderr, flush=True)
            client.close()


if __name__ == "__main__":
    main()

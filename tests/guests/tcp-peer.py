#!/usr/bin/env python3
"""tests/guests/tcp-peer.py — the host's end of a guest serial port on TCP, for run-input-tests.

Usage:
  tcp-peer.py freeport                      print a free TCP port on 127.0.0.1
  tcp-peer.py client PORT [--ready] CHUNK... connect (retrying for 10 s), optionally wait for the
                                            guest's "ready" line, send each CHUNK 50 ms apart,
                                            then print all that came back until the peer closes
  tcp-peer.py server PORT CHUNK...          listen, accept one connection, then as client
  tcp-peer.py hangup PORT CHUNK...          connect, send the chunks, close at once
"""
import socket
import sys
import time


def connect(port):
    deadline = time.time() + 10
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def talk(s, chunks, ready):
    s.settimeout(30)
    got = b""
    if ready:
        while b"ready\n" not in got:
            d = s.recv(4096)
            if not d:
                break
            got += d
    for c in chunks:
        time.sleep(0.05)
        s.sendall(c.encode())
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except (socket.timeout, ConnectionResetError):
        pass
    sys.stdout.write(got.decode("latin-1"))


def main():
    mode = sys.argv[1]
    if mode == "freeport":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
        return
    port = int(sys.argv[2])
    args = sys.argv[3:]
    ready = bool(args) and args[0] == "--ready"
    if ready:
        args = args[1:]
    if mode == "client":
        talk(connect(port), args, ready)
    elif mode == "hangup":
        s = connect(port)
        for c in args:
            time.sleep(0.05)
            s.sendall(c.encode())
        s.close()
    elif mode == "server":
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(1)
        print("listening", file=sys.stderr, flush=True)
        s, _ = ls.accept()
        talk(s, args, ready)
    else:
        sys.exit("unknown mode " + mode)


main()

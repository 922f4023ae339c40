"""The benchmark client: one JSON-RPC connection over a unix socket, the
same for both servers. Prints the seconds each workload takes.

    python3 ovsdb-client.py SOCKET single N   # N transactions of one insert each
    python3 ovsdb-client.py SOCKET bulk N     # one transaction of N inserts"""
import json
import socket
import sys
import time

path, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
dec = json.JSONDecoder()
buf = ""


def reply(i):
    global buf
    while True:
        buf = buf.lstrip()
        if buf:
            try:
                msg, k = dec.raw_decode(buf)
                buf = buf[k:]
                if msg.get("id") == i:
                    return msg
                continue
            except ValueError:
                pass
        d = s.recv(1 << 20)
        if not d:
            sys.exit("connection closed")
        buf += d.decode()


def check(msg):
    r = msg.get("result")
    if not isinstance(r, list) or any(isinstance(x, dict) and "error" in x for x in r):
        sys.exit("transaction failed: %s" % json.dumps(msg)[:300])


def insert(i):
    return {"op": "insert", "table": "T", "row": {"name": "row%d" % i, "n": i}}


t0 = time.perf_counter()
if mode == "single":
    for i in range(n):
        s.sendall(json.dumps({"method": "transact", "id": i, "params": ["Bench", insert(i)]}).encode())
        check(reply(i))
elif mode == "bulk":
    s.sendall(json.dumps({"method": "transact", "id": 0, "params": ["Bench"] + [insert(i) for i in range(n)]}).encode())
    check(reply(0))
else:
    sys.exit("unknown mode " + mode)
print("%.3f" % (time.perf_counter() - t0))

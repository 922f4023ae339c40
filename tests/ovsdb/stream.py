"""Sends a stream of transactions (each adds external_ids:kN to the
Open_vSwitch row) one after another over a raw socket, and appends kN to
ACKED once its reply says it committed.

    python3 stream.py SOCKET ACKED COUNT"""
import json
import os
import socket
import sys

path, acked, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
out = os.open(acked, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
dec = json.JSONDecoder()
buf = ""
for i in range(count):
    req = {"method": "transact", "id": i, "params": ["Open_vSwitch", {
        "op": "mutate", "table": "Open_vSwitch", "where": [],
        "mutations": [["external_ids", "insert", ["map", [["k%d" % i, "v"]]]]]}]}
    try:
        s.sendall(json.dumps(req).encode())
        while True:
            buf = buf.lstrip()
            try:
                msg, n = dec.raw_decode(buf)
                buf = buf[n:]
                if msg.get("id") == i:
                    break
                continue
            except ValueError:
                pass
            d = s.recv(65536)
            if not d:
                sys.exit(0)
            buf += d.decode()
    except OSError:
        sys.exit(0)
    r = msg.get("result")
    if r and r[0].get("count") == 1:
        os.write(out, b"k%d\n" % i)

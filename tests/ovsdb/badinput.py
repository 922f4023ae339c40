"""Bad input on a raw socket to svs's server: each case must get an error
reply with RFC 7047 / Open vSwitch error strings, and the connection must
keep working (an echo after each case).

    python3 badinput.py SOCKET"""
import json
import socket
import sys
import time

s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
dec = json.JSONDecoder()
buf = ""
failed = False


def recv_until(pred):
    global buf
    got = []
    deadline = time.time() + 5
    while time.time() < deadline:
        buf = buf.lstrip()
        try:
            msg, n = dec.raw_decode(buf)
            buf = buf[n:]
            got.append(msg)
            if pred(msg):
                return got
            continue
        except ValueError:
            pass
        d = s.recv(65536)
        if not d:
            break
        buf += d.decode()
    return got


def check(name, raw, want):
    """Sends raw text, then an echo; `want(replies)` judges the replies
    before the echo's."""
    global failed
    s.sendall(raw.encode() + b'{"method":"echo","params":["alive"],"id":"alive"}')
    got = recv_until(lambda m: m.get("id") == "alive")
    alive = got and got[-1].get("result") == ["alive"]
    ok = alive and want(got[:-1])
    print(("ok   " if ok else "FAIL ") + name + ": " + json.dumps(got[:-1]))
    failed |= not ok


def err(m):
    e = m.get("error")
    return e if isinstance(e, str) else (e or {}).get("error")


check("malformed JSON value", '{"method":"echo","params":[1],"id":1}{"a":tru}',
      lambda r: len(r) == 2 and r[0]["result"] == [1] and err(r[1]) == "syntax error")
check("non-object message", '[1,2,3]', lambda r: len(r) == 1 and r[0]["error"] is not None)
check("unknown method", '{"method":"frob","params":[],"id":5}',
      lambda r: len(r) == 1 and r[0]["error"] == "unknown method" and r[0]["id"] == 5)
check("unknown database", '{"method":"transact","params":["Nope"],"id":6}',
      lambda r: err(r[0]) == "unknown database")
check("no database name", '{"method":"get_schema","params":[],"id":7}',
      lambda r: err(r[0]) == "syntax error")
check("bad column type", '{"method":"transact","params":["Open_vSwitch",{"op":"insert","table":"Bridge","row":{"name":7}}],"id":8}',
      lambda r: r[0]["result"][0]["error"] == "syntax error")
check("unknown column", '{"method":"transact","params":["Open_vSwitch",{"op":"update","table":"Bridge","where":[],"row":{"frob":1}}],"id":9}',
      lambda r: r[0]["result"][0]["error"] == "unknown column")
check("constraint violation", '{"method":"transact","params":["Open_vSwitch",{"op":"update","table":"Port","where":[],"row":{"tag":9999}}],"id":10}',
      lambda r: r[0]["result"][0]["error"] == "constraint violation")
check("referential integrity", '{"method":"transact","params":["Open_vSwitch",{"op":"update","table":"Open_vSwitch","where":[],"row":{"bridges":["uuid","01234567-89ab-cdef-0123-456789abcdef"]}}],"id":11}',
      lambda r: r[0]["result"][-1]["error"] == "referential integrity violation")
check("aborted", '{"method":"transact","params":["Open_vSwitch",{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["next_cfg","+=",1]]},{"op":"abort"}],"id":12}',
      lambda r: r[0]["result"][1]["error"] == "aborted")
check("monitor of unknown table", '{"method":"monitor","params":["Open_vSwitch",1,{"Nope":{}}],"id":13}',
      lambda r: err(r[0]) == "syntax error")
check("monitor_cond wrong arity", '{"method":"monitor_cond","params":["Open_vSwitch",1],"id":14}',
      lambda r: err(r[0]) == "syntax error")
check("unlock without lock", '{"method":"unlock","params":["l"],"id":15}',
      lambda r: err(r[0]) == "syntax error")
check("notification gets no reply", '{"method":"echo","params":[],"id":null}', lambda r: r == [])
sys.exit(1 if failed else 0)

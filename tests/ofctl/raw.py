#!/usr/bin/env python3
"""Sends malformed and unusual OpenFlow messages to a switch's management
socket and prints, for each, the reply it got: the error (type, code, and
the vendor triplet for extension errors) or the reply type, then whether the
connection still answers an echo. Run against Open vSwitch and svs by
tests/ofctl/run.sh, which compares the two outputs.

    raw.py SOCKET
"""
import socket, struct, sys

def hello(version):
    body = struct.pack('!HHI', 1, 8, 1 << version)
    return struct.pack('!BBHI', version, 0, 8 + len(body), 0) + body

def msg(version, type_, body, xid):
    return struct.pack('!BBHI', version, type_, 8 + len(body), xid) + body

class Conn:
    def __init__(self, path, version):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.buf = b''
        self.s.sendall(hello(version))
        self.recv()  # the switch's hello

    def recv(self):
        while True:
            if len(self.buf) >= 8:
                v, t, l, x = struct.unpack('!BBHI', self.buf[:8])
                if len(self.buf) >= l:
                    m, self.buf = self.buf[:l], self.buf[l:]
                    return v, t, x, m[8:]
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def ask(self, data, xid, version):
        """Sends `data` then a barrier: the reply to `xid` if any came first."""
        barrier = msg(version, 18 if version == 1 else 20, b'', 998)
        self.s.sendall(data + barrier)
        answer = None
        while True:
            v, t, x, body = self.recv()
            if x == xid and answer is None:
                answer = (v, t, body)
            elif x == 998:
                return answer

def describe(v, t, body):
    if t != 1:
        return 'type %d' % t
    et, ec = struct.unpack('!HH', body[:4])
    if et == 0xb0c2 and len(body) >= 12:
        vendor, vt, vc = struct.unpack('!IHH', body[4:12])
        return 'error vendor %#x (%d,%d)' % (vendor, vt, vc)
    if et == 0xffff:
        (vendor,) = struct.unpack('!I', body[4:8])
        return 'error experimenter %#x (%d)' % (vendor, ec)
    return 'error (%d,%d)' % (et, ec)

WILD10 = struct.pack('!I', (1 << 22) - 1) + b'\0' * 36
def fm10(actions):
    return WILD10 + struct.pack('!QHHHHIHH', 0, 0, 0, 0, 0x8000, 0xffffffff, 0xffff, 0) + actions
def nxfm(match, actions=b''):
    padded = match + b'\0' * ((8 - len(match) % 8) % 8)
    return struct.pack('!IIQHHHHIHHH6x', 0x2320, 13, 0, 0, 0, 0, 0x8000, 0xffffffff, 0xffff, 0, len(match)) + padded + actions
def fm13(oxm, instructions=b'', mtype=1):
    m = struct.pack('!HH', mtype, 4 + len(oxm)) + oxm
    m += b'\0' * ((8 - len(m) % 8) % 8)
    return struct.pack('!QQBBHHHIIIHH', 0, 0, 0, 0, 0, 0, 0x8000, 0xffffffff, 0xffffffff, 0xffffffff, 0, 0) + m + instructions
def apply(actions):
    return struct.pack('!HHI', 4, 8 + len(actions), 0) + actions
def oxm(cls, field, value, mask=None):
    payload = value + (mask or b'')
    return struct.pack('!HBB', cls, field << 1 | (1 if mask else 0), len(payload)) + payload

def PM10(port):
    """OpenFlow 1.0 port-mod: NO_FLOOD, address 00:00:00:00:00:00."""
    return struct.pack('!H6xIII4x', port, 0x10, 0x10, 0)
def PM11(port):
    return struct.pack('!I4x6x2xIII4x', port, 0x20, 0x20, 0)
def PM14(port, props):
    return struct.pack('!I4x6x2xII', port, 0x20, 0x20) + props

NXM_TCP_DST = oxm(0, 12, b'\0\x50')
ETH_IP = oxm(0x8000, 5, b'\x08\x00')

cases = {
    1: [
        ('unknown type', 99, b''),
        ('unknown stats type', 16, struct.pack('!HH', 77, 0)),
        ('unknown vendor', 4, struct.pack('!II', 0x1234, 1)),
        ('unknown Nicira subtype', 4, struct.pack('!II', 0x2320, 999)),
        ('truncated flow-mod', 14, b'\0' * 10),
        ('unknown action', 14, fm10(struct.pack('!HHI', 99, 8, 0))),
        ('action length not a multiple of 8', 14, fm10(struct.pack('!HHHH', 0, 12, 1, 0) + b'\0' * 4)),
        ('unknown Nicira action', 14, fm10(struct.pack('!HHIH6x', 0xffff, 16, 0x2320, 999))),
        ('NXM field without its prerequisite', 4, nxfm(NXM_TCP_DST)),
        ('NXM unknown field', 4, nxfm(oxm(0x0005, 1, b'\0\x01'))),
        ('NXM duplicate field', 4, nxfm(oxm(0, 3, b'\x08\x00') + oxm(0, 3, b'\x08\x00'))),
        # Ports, queues (OFSwitchSession+Ports.swift); 00:..:00 is no port's address.
        ('port-mod truncated', 15, b'\0' * 20),
        ('port-mod of a port that does not exist', 15, PM10(77)),
        ('port-mod with the wrong address', 15, PM10(1)),
        ('port-mod of LOCAL with the wrong address', 15, PM10(0xfffe)),
        ('port stats of port 77', 16, struct.pack('!HHH6x', 4, 0, 77)),
        ('port stats truncated', 16, struct.pack('!HHH', 4, 0, 1)),
        ('port stats too long', 16, struct.pack('!HHH14x', 4, 0, 1)),
        ('queue stats of port 77', 16, struct.pack('!HHH2xI', 5, 0, 77, 0xffffffff)),
        ('queue stats of queue 9', 16, struct.pack('!HHH2xI', 5, 0, 1, 9)),
        ('queue stats truncated', 16, struct.pack('!HHH', 5, 0, 1)),
        ('queue config of LOCAL', 20, struct.pack('!H2x', 0xfffe)),
        ('queue config of port 77', 20, struct.pack('!H2x', 77)),
        ('queue config of every port', 20, struct.pack('!H2x', 0xffff)),
        ('queue config truncated', 20, struct.pack('!H', 1)),
        ('echo', 2, b'hi'),
    ],
    4: [
        ('unknown type', 99, b''),
        ('unknown multipart type', 18, struct.pack('!HH4x', 77, 0)),
        ('truncated flow-mod', 14, b'\0' * 20),
        ('unknown match type', 14, fm13(b'', mtype=7)),
        ('unknown OXM field', 14, fm13(oxm(0x8000, 120, b'\0\0'))),
        ('OXM duplicate field', 14, fm13(ETH_IP + ETH_IP)),
        ('OXM field without its prerequisite', 14, fm13(oxm(0x8000, 14, b'\0\x50'))),
        ('unknown instruction', 14, fm13(b'', struct.pack('!HHI', 99, 8, 0))),
        ('unknown action', 14, fm13(b'', apply(struct.pack('!HHI', 99, 8, 0)))),
        ('unknown experimenter action', 14, fm13(b'', apply(struct.pack('!HHI', 0xffff, 8, 0x1234)))),
        ('unknown Nicira action', 14, fm13(b'', apply(struct.pack('!HHIH6x', 0xffff, 16, 0x2320, 999)))),
        ('goto_table to table 255', 14, fm13(b'', struct.pack('!HHB3x', 1, 8, 255))),
        ('add to table 255', 14, fm13(b'')[:16] + b'\xff' + fm13(b'')[17:]),
        ('unknown experimenter message', 4, struct.pack('!II', 0x1234, 1)),
        ('port-mod truncated', 16, b'\0' * 24),
        ('port-mod of a port that does not exist', 16, PM11(77)),
        ('port-mod of a port out of range', 16, PM11(0xff00)),
        ('port-mod with the wrong address', 16, PM11(2)),
        ('port stats of a port out of range', 18, struct.pack('!HH4xI4x', 4, 0, 0xff00)),
        ('port stats of LOCAL', 18, struct.pack('!HH4xI4x', 4, 0, 0xfffffffe)),
        ('port stats truncated', 18, struct.pack('!HH4xI', 4, 0, 1)),
        ('queue stats of port 77', 18, struct.pack('!HH4xII', 5, 0, 77, 0xffffffff)),
        ('queue stats of every port, queue 3', 18, struct.pack('!HH4xII', 5, 0, 0xffffffff, 3)),
        ('queue config of LOCAL', 22, struct.pack('!I4x', 0xfffffffe)),
        ('queue config of every port', 22, struct.pack('!I4x', 0xffffffff)),
        ('queue config truncated', 22, struct.pack('!I', 1)),
        ('queue desc in 1.3', 18, struct.pack('!HH4xII', 15, 0, 0xffffffff, 0xffffffff)),
        ('table desc in 1.3', 18, struct.pack('!HH4x', 14, 0)),
        ('table-mod of table 254', 17, struct.pack('!B3xI', 254, 0)),
        ('table-mod of table 3', 17, struct.pack('!B3xI', 3, 3)),
        ('table-mod truncated', 17, struct.pack('!B3x', 3)),
        ('table-mod too long', 17, struct.pack('!B3xI8x', 3, 0)),
        ('echo', 2, b'hi'),
    ],
    5: [
        ('port-mod with an unknown property', 16, PM14(1, struct.pack('!HHI', 7, 8, 0))),
        ('port-mod with a short ethernet property', 16, PM14(1, struct.pack('!HH4x', 0, 6))),
        ('port-mod with a property of length 2', 16, PM14(1, struct.pack('!HH4x', 0, 2))),
        ('port-mod with an experimenter property', 16, PM14(1, struct.pack('!HHII', 0xffff, 12, 0x1234, 1) + b'\0' * 4)),
        ('port-mod of a port that does not exist', 16, PM14(77, struct.pack('!HHI', 0, 8, 0))),
        ('port-mod with the wrong address', 16, PM14(1, struct.pack('!HHI', 0, 8, 0))),
        ('table-mod with an unknown property', 17, struct.pack('!B3xIHHI', 5, 0, 9, 8, 0)),
        ('table-mod with vacancy down above up', 17, struct.pack('!B3xIHHBBBx', 5, 8, 3, 8, 90, 10, 0)),
        ('table-mod with vacancy above 100', 17, struct.pack('!B3xIHHBBBx', 5, 8, 3, 8, 10, 120, 0)),
        ('table-mod with a vacancy value', 17, struct.pack('!B3xIHHBBBx', 5, 8, 3, 8, 10, 20, 5)),
        ('table-mod with a short vacancy property', 17, struct.pack('!B3xIHHBB2x', 5, 8, 3, 6, 10, 20)),
        ('table-mod with an eviction property', 17, struct.pack('!B3xIHHI', 6, 0, 2, 8, 1)),
        ('table-mod of table 254', 17, struct.pack('!B3xI', 254, 4)),
        ('table-mod truncated', 17, struct.pack('!B3x', 3)),
        ('queue desc of port 77', 18, struct.pack('!HH4xII', 15, 0, 77, 0xffffffff)),
        ('queue desc of queue 4', 18, struct.pack('!HH4xII', 15, 0, 1, 4)),
        ('queue desc of a port out of range', 18, struct.pack('!HH4xII', 15, 0, 0xff00, 0)),
        ('queue desc truncated', 18, struct.pack('!HH4xI', 15, 0, 1)),
        ('queue config message in 1.4', 22, struct.pack('!I4x', 1)),
        ('table desc with a body', 18, struct.pack('!HH4xI', 14, 0, 0)),
        ('port stats too long', 18, struct.pack('!HH4xI12x', 4, 0, 1)),
        ('echo', 2, b'hi'),
    ],
    6: [
        ('port stats of port 77', 18, struct.pack('!HH4xI4x', 4, 0, 77)),
        ('port-mod with no property', 16, PM14(2, b'')),
        ('port-mod of LOCAL with the wrong address', 16, PM14(0xfffffffe, b'')),
        ('queue stats of queue 1', 18, struct.pack('!HH4xII', 5, 0, 1, 1)),
        ('port desc without its port', 18, struct.pack('!HH4x', 13, 0)),
        ('port desc of port 77', 18, struct.pack('!HH4xI4x', 13, 0, 77)),
        ('port desc of a port out of range', 18, struct.pack('!HH4xI4x', 13, 0, 0xff00)),
        ('echo', 2, b'hi'),
    ],
}

path = sys.argv[1]
for version, items in cases.items():
    for i, (name, type_, body) in enumerate(items):
        xid = 100 + i
        try:
            c = Conn(path, version)
            answer = c.ask(msg(version, type_, body, xid), xid, version)
            result = describe(*answer) if answer else 'accepted'
            answer = c.ask(msg(version, 2, b'', 999), 999, version)
            alive = 'alive' if answer and answer[1] == 3 else 'no echo reply'
        except (EOFError, OSError) as e:
            result, alive = 'closed', ''
        print('OF%#x %s: %s %s' % (version, name, result, alive))
        c.s.close()

#!/usr/bin/env python3
# Records real NETLINK_SOCK_DIAG replies for fuzz/corpus/inet_diag: run as root inside a lab network
# namespace (bench/fuzz.sh --record does: `ip netns exec LAB python3 fuzz/record-inet-diag.py DIR`). It opens
# TCP listeners and connections over IPv4 and IPv6 (loopback), connected and unconnected UDP sockets,
# then writes every datagram the kernel returns for the sockets collector's dump requests (the same
# inet_diag_req_v2 as src/Netsight.Collectors/Sockets/SockDiag.cs: TCP with tcp_info, UDP) and the
# destroy-group messages of closing TCP connections, one file per datagram.
import os, socket, struct, sys, time

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
TCP_STATES, UDP_STATES = 0xFFF & ~(1 << 6) & ~1, 0xFFF
SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY = 1, 3
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
os.system("ip link set lo up")

def save(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

def dump(family, protocol, seq):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    ext = 1 << (2 - 1) if protocol == socket.IPPROTO_TCP else 0
    states = TCP_STATES if protocol == socket.IPPROTO_TCP else UDP_STATES
    req = struct.pack("<BBBBI", family, protocol, ext, 0, states) + bytes(48)
    s.send(struct.pack("<IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + req)
    datagrams = []
    while True:
        d = s.recv(65536)
        datagrams.append(d)
        if struct.unpack_from("<H", d, len(d) - 16 if len(d) >= 16 else 0)[0] == 3 or any_done(d):
            break
    s.close()
    return datagrams

def any_done(d):
    at = 0
    while at + 16 <= len(d):
        length, typ = struct.unpack_from("<IH", d, at)
        if typ in (2, 3):
            return True
        if length < 16:
            return True
        at += (length + 3) & ~3
    return False

# Destroy-group listener first, so the closes below are seen.
destroy = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
destroy.bind((0, 0))
for group in (SKNLGRP_INET_TCP_DESTROY, SKNLGRP_INET6_TCP_DESTROY):
    destroy.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
destroy.settimeout(1.0)

keep = []
for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((host, 0)); listener.listen(8)
    keep.append(listener)
    for _ in range(2):
        c = socket.socket(family, socket.SOCK_STREAM)
        c.connect(listener.getsockname())
        a, _ = listener.accept()
        c.sendall(b"x" * 3000); a.recv(65536); a.sendall(b"y" * 100); c.recv(100)
        keep += [c, a]
    u = socket.socket(family, socket.SOCK_DGRAM); u.bind((host, 0)); keep.append(u)
    v = socket.socket(family, socket.SOCK_DGRAM); v.connect(u.getsockname()); v.send(b"z"); keep.append(v)

n = 0
for family, fname in ((socket.AF_INET, "v4"), (socket.AF_INET6, "v6")):
    for protocol, pname in ((socket.IPPROTO_TCP, "tcp"), (socket.IPPROTO_UDP, "udp")):
        for i, d in enumerate(dump(family, protocol, 100 + n)):
            save(f"dump-{fname}-{pname}-{i}.bin", d)
        n += 1

for s in keep:
    if s.type == socket.SOCK_STREAM:
        s.close()
i = 0
try:
    while i < 16:
        save(f"destroy-{i}.bin", destroy.recv(65536))
        i += 1
except socket.timeout:
    pass
print(f"recorded {n} dumps and {i} destroy datagrams into {out}")

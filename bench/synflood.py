#!/usr/bin/env python3
# bench/synflood.py: writes a SYN flood as a pcap for bench/flood.sh: N TCP SYNs (Ethernet/IPv4, 54 bytes),
# each from its own random source address and port to one server (198.18.0.2:80), 1 microsecond apart.
# Every SYN is a new connection and a new (source, destination) pair: the worst case for analyze's tables.
# Usage: synflood.py OUT.pcap [PACKETS=1000000] [SEED=1]
import random, struct, sys

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)

eth = bytes.fromhex('020000000002' '020000000001' '0800')
# IPv4: 20 bytes, total length 40, DF, TTL 64, TCP, checksum left 0, destination 198.18.0.2.
ip_head = bytes.fromhex('45000028' '00004000' '4006' '0000')
dst = bytes([198, 18, 0, 2])
tcp_tail = bytes.fromhex('0050') + b'\0' * 4 + b'\0' * 4 + bytes.fromhex('5002' 'faf0' '0000' '0000')  # dport 80, seq, ack, SYN

with open(out, 'wb', buffering=1 << 20) as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t0 = 1_700_000_000
    rec = struct.Struct('<IIII')
    for i in range(count):
        src = rng.getrandbits(32).to_bytes(4, 'big')
        sport = rng.getrandbits(16).to_bytes(2, 'big')
        seq = rng.getrandbits(32).to_bytes(4, 'big')
        frame = eth + ip_head + src + dst + sport + tcp_tail[:2] + seq + tcp_tail[6:]
        f.write(rec.pack(t0 + i // 1_000_000, i % 1_000_000, 54, 54))
        f.write(frame)

#!/usr/bin/env python3
# Sends every frame of a classic pcap out of one interface through an AF_PACKET socket, as fast as it can:
# bench/run.sh uses it to put the generated 100k-connection capture on the lab veth so the agent tracks
# 100,000 real flows. Standard library only. Usage: send-frames.py IFACE FILE
import socket, struct, sys

iface, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
sent = 0
with open(path, "rb") as f:
    magic = struct.unpack("<I", f.read(24)[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    while True:
        rec = f.read(16)
        if len(rec) < 16:
            break
        incl = struct.unpack(endian + "IIII", rec)[2]
        frame = f.read(incl)
        while True:
            try:
                s.send(frame)
                break
            except BlockingIOError:
                continue
            except OSError as e:  # ENOBUFS under pressure: retry the same frame
                if e.errno != 105:
                    raise
        sent += 1
print(f"sent {sent} frames on {iface}")

#!/usr/bin/env python3
# Writes the seed corpora of fuzz/corpus/<target>/ (run by hand when the seeds must change; the fuzzers'
# own finds are added beside them by bench/fuzz.sh --keep). Sources: gopacket's real captures
# (golang-github-google-gopacket-dev), the conntrack messages recorded from the kernel by
# tests/tools/ConntrackRecorder (tests/Netsight.Collectors.Tests/Conntrack/Data), the inet_diag replies
# recorded by fuzz/record-inet-diag.py (argument 1: its output folder), and small hand-written identity
# files, web configs and hub batches in the formats README documents.
import glob, gzip, json, os, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")
GOPACKET = "/usr/share/gocode/src/github.com/google/gopacket"
CONNTRACK = os.path.join(ROOT, "..", "tests", "Netsight.Collectors.Tests", "Conntrack", "Data")
# DecodeTarget.LinkTypes, index by DLT value.
LINK_INDEX = {1: 0, 101: 1, 113: 2, 276: 3, 0: 4, 108: 5, 228: 6, 229: 7, 12: 8}

def target(name):
    d = os.path.join(CORPUS, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d

def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def pcap_records(path):
    """(dlt, frame) of a classic pcap, converting pcapng with editcap first."""
    with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
        if subprocess.run(["editcap", "-F", "pcap", path, tmp.name], capture_output=True).returncode != 0:
            return []
        data = open(tmp.name, "rb").read()
    magic = struct.unpack_from("<I", data)[0]
    e = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    dlt = struct.unpack_from(e + "I", data, 20)[0] & 0x0FFFFFFF
    out, at = [], 24
    while at + 16 <= len(data):
        incl = struct.unpack_from(e + "I", data, at + 8)[0]
        out.append((dlt, data[at + 16:at + 16 + incl]))
        at += 16 + incl
    return out

captures = sorted(glob.glob(GOPACKET + "/**/*.pcap*", recursive=True))

# pcapng: every gopacket pcapng test file (both byte orders, every block type they cover).
d = target("pcapng")
for p in captures:
    if p.endswith(".pcapng"):
        write(d, os.path.basename(os.path.dirname(p)) + "-" + os.path.basename(p), open(p, "rb").read())

# pcap: the classic files cut to their first packets, in microsecond and nanosecond precision.
d = target("pcap")
for p in captures:
    if p.endswith(".pcap"):
        base = os.path.basename(p)[:-5]
        for fmt, suffix in (("pcap", "us"), ("nsecpcap", "ns")):
            out = os.path.join(d, f"{base}-{suffix}.pcap")
            # test_loopback's packets are 16 KiB each: its first two are enough.
            subprocess.run(["editcap", "-F", fmt, "-r", p, out, "1-2" if "loopback" in base else "1-6"], check=True, capture_output=True)

# decode: single frames of every capture, and short runs of consecutive frames (one TCP conversation).
d = target("decode")
frames = {}
for p in captures:
    for dlt, frame in pcap_records(p):
        if dlt in LINK_INDEX and len(frame) <= 1600:
            frames.setdefault((dlt, frame), os.path.basename(p))
for i, ((dlt, frame), src) in enumerate(sorted(frames.items(), key=lambda kv: (kv[1], len(kv[0][1])))):
    if i % 2 == 0 or dlt != 1:  # every other Ethernet frame keeps the corpus small
        write(d, f"{src}-{i:03}", bytes([LINK_INDEX[dlt]]) + struct.pack("<H", len(frame)) + frame)
for p in (GOPACKET + "/pcap/test_ethernet.pcap", GOPACKET + "/pcap/test_dns.pcap"):
    records = pcap_records(p)
    run = bytes([LINK_INDEX[records[0][0]]]) + b"".join(struct.pack("<H", len(f)) + f for _, f in records[:10])
    write(d, os.path.basename(p) + "-run", run)

# dns: the DNS messages of test_dns.pcap (UDP over IPv4 over Ethernet), whole (255) and cut at half (128).
d = target("dns")
for i, (dlt, frame) in enumerate(pcap_records(GOPACKET + "/pcap/test_dns.pcap")):
    ihl = (frame[14] & 0x0F) * 4
    message = frame[14 + ihl + 8:]
    write(d, f"test_dns-{i}", bytes([255]) + message)
    if i < 2:
        write(d, f"test_dns-{i}-cut", bytes([128]) + message)

# ctnetlink: the recorded datagrams (the recorder's files are u32 length + datagram, repeated) whole, and
# their first messages alone.
d = target("ctnetlink")
for p in sorted(glob.glob(CONNTRACK + "/*.bin")):
    data = open(p, "rb").read()
    base = os.path.basename(p)[:-4]
    at, k = 0, 0
    while at + 4 <= len(data):
        length = struct.unpack_from("<I", data, at)[0]
        datagram = data[at + 4:at + 4 + length]
        at += 4 + length
        write(d, f"{base}-{k}", datagram)
        m, n = 0, 0
        while k == 0 and m + 16 <= len(datagram) and n < 4:
            mlen = struct.unpack_from("<I", datagram, m)[0]
            if mlen < 16:
                break
            write(d, f"{base}-{k}-msg{n}", datagram[m:m + mlen])
            m += (mlen + 3) & ~3
            n += 1
        k += 1

# inet_diag: the datagrams fuzz/record-inet-diag.py recorded.
if len(sys.argv) > 1:
    d = target("inet_diag")
    for p in sorted(glob.glob(sys.argv[1] + "/*.bin")):
        shutil.copy(p, d)

# identity: README's format, with ranges, Services with ports, IPv6, and a few errors.
d = target("identity")
write(d, "full.yml", b"""peers:
  - ip: 10.0.0.5
    namespace: shop
    pod: checkout-7d9c-abcde
    workload: checkout
    workload_kind: Deployment
    service: checkout
    node: node-1
  - ip: 10.1.0.0/16
    namespace: batch
    workload: spark
  - ip: fd00::/64
    workload: v6-range
  - ip: 10.96.0.10
    port: 53
    namespace: kube-system
    service: kube-dns
""")
write(d, "flow.yml", b"peers: [{ip: 192.168.1.1, pod: a}, {ip: '2001:db8::1/128', service: b, port: 443}]\n")
write(d, "bad-ip.yml", b"peers:\n  - ip: 10.0.0.300\n    pod: x\n")
write(d, "unknown-key.yml", b"peers:\n  - ip: 10.0.0.1\n    colour: blue\n")
write(d, "empty.yml", b"")

# webconfig: exporter-toolkit's format (TLS with an inline certificate and key, client auth, headers,
# basic auth, rate limit), and a few refusals.
d = target("webconfig")
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
                    "-subj", "/CN=fuzz", "-keyout", tmp + "/k.pem", "-out", tmp + "/c.pem"], check=True, capture_output=True)
    cert, key = open(tmp + "/c.pem").read(), open(tmp + "/k.pem").read()
indent = lambda s: "".join("    " + line + "\n" for line in s.strip().splitlines())
write(d, "tls-inline.yml", ("tls_server_config:\n  cert: |\n" + indent(cert) + "  key: |\n" + indent(key) +
       "  client_auth_type: RequestClientCert\n  min_version: TLS12\n  max_version: TLS13\n"
       "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP256, X25519]\n"
       "  client_allowed_sans: [fuzz]\n").encode())
write(d, "full.yml", b"""tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  prom: $2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi
rate_limit:
  interval: 1m30s
  burst: 10
""")
write(d, "auth-only.yml", b"basic_auth_users:\n  a: $2a$04$abcdefghijklmnopqrstuuJ0cGeUx4gkwP6OLu9gKj7Iw84Cwa2Tm\n")
write(d, "bad-header.yml", b"http_server_config:\n  headers:\n    X-Frame-Options: allow\n")
write(d, "empty.yml", b"")

# hub: batches as the agent pushes them (connections with identity, transactions, metadata), plain and gzip.
d = target("hub")
batch = {
    "version": 1, "node": "node-1", "instance": "a1b2", "seq": 7, "sent_at_ms": 1700000000000,
    "connections": [
        {"pid": 1, "type": 0, "family": 0, "net_ns": 4026531840, "source": "10.0.0.1", "dest": "10.0.1.1", "sport": 40000, "dport": 8080,
         "direction": 2, "monotonic_sent_bytes": 100, "last_sent_bytes": 100, "monotonic_recv_bytes": 50, "last_recv_bytes": 50,
         "monotonic_retransmits": 1, "last_retransmits": 1, "last_update_epoch": 1, "opened": True, "rtt_us": 900, "state": "established",
         "origin": "sockets", "namespace": "shop", "pod": "web-1", "workload": "web", "dest_namespace": "shop", "dest_workload": "api",
         "dest_service": "api"},
        {"pid": 0, "type": 1, "family": 1, "net_ns": 1, "source": "fd00::1", "dest": "fd00::2", "sport": 53, "dport": 5353,
         "direction": 1, "origin": "conntrack"},
    ],
    "transactions": [{"serviceID": "shop/api:8080", "endpointCounter": {"10.0.1.1:8080": 3, "10.0.1.2:8080": 1}}],
    "metadata": {"node": {"name": "node-1", "addresses": ["192.0.2.1"]},
                 "pods": [{"uid": "u1", "namespace": "shop", "name": "web-1", "ips": ["10.0.0.1"], "owners": [{"kind": "ReplicaSet", "name": "web-5f"}],
                           "workload": "web", "workload_kind": "Deployment",
                           "containers": [{"id": "c1", "name": "web", "image": "nginx", "ports": [{"port": 80, "protocol": "TCP", "name": "http"}], "pids": [42]}]}],
                 "processes": [{"cgroup": "/system.slice/sshd.service", "pids": [1, 2], "command": "sshd"}], "updated_at_ms": 1700000000000},
}
text = json.dumps(batch).encode()
write(d, "batch.json", text)
write(d, "batch.json.gz", gzip.compress(text, mtime=0))
write(d, "empty-lists.json", json.dumps({k: (v if k not in ("connections", "transactions") else []) for k, v in batch.items() if k != "metadata"}).encode())
write(d, "bad-version.json", json.dumps(dict(batch, version=2)).encode())
print("corpus written to", CORPUS)

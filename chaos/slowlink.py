#!/usr/bin/env python3
"""A slow, lossy link for packets that iptables sends to an NFQUEUE (this kernel has no tc netem).

Usage: slowlink.py QUEUE DELAY_MS JITTER_MS LOSS_PERCENT SEED
Each queued packet is held DELAY_MS +/- JITTER_MS (uniform), so packets overtake each other (reordering), and
LOSS_PERCENT of them are dropped. Speaks nfnetlink_queue over a raw netlink socket: no library, nothing on disk.
Runs until SIGTERM; packets still held then are released.
"""
import heapq
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = 0, 1, 2
NLM_F_REQUEST = 1
CFG_CMD, CFG_PARAMS, CFG_QUEUE_MAXLEN = 1, 2, 3
CMD_BIND = 1
COPY_META = 1
PACKET_HDR, VERDICT_HDR = 1, 2
NF_DROP, NF_ACCEPT = 0, 1


def attr(kind, data):
    length = 4 + len(data)
    return struct.pack("=HH", length, kind) + data + b"\0" * ((4 - length % 4) % 4)


def message(kind, queue, attrs):
    payload = struct.pack("=BB", socket.AF_UNSPEC, 0) + struct.pack(">H", queue) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(payload), (NFNL_SUBSYS_QUEUE << 8) | kind, NLM_F_REQUEST, 0, 0) + payload


def packet_ids(buf):
    """Yields the packet id of every queued-packet message in one netlink read."""
    off = 0
    while off + 16 <= len(buf):
        length, kind = struct.unpack_from("=IH", buf, off)
        if length < 16:
            return
        if kind == (NFNL_SUBSYS_QUEUE << 8) | MSG_PACKET:
            a = off + 20
            end = off + length
            while a + 4 <= end:
                alen, atype = struct.unpack_from("=HH", buf, a)
                if alen < 4:
                    break
                if atype & 0x7FFF == PACKET_HDR:
                    yield struct.unpack_from(">I", buf, a + 4)[0]
                    break
                a += (alen + 3) & ~3
        off += (length + 3) & ~3


def main():
    queue, delay, jitter, loss, seed = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((0, 0))
    sock.send(message(MSG_CONFIG, queue, [attr(CFG_CMD, struct.pack(">BxH", CMD_BIND, 0))]))
    sock.send(message(MSG_CONFIG, queue, [attr(CFG_PARAMS, struct.pack(">IB", 0, COPY_META))]))
    sock.send(message(MSG_CONFIG, queue, [attr(CFG_QUEUE_MAXLEN, struct.pack(">I", 65536))]))
    held = []
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))

    def verdict(pid, v):
        sock.send(message(MSG_VERDICT, queue, [attr(VERDICT_HDR, struct.pack(">II", v, pid))]))

    print("slowlink: queue %d delay %.0f+/-%.0f ms loss %.1f%%" % (queue, delay, jitter, loss), flush=True)
    while running[0]:
        now = time.monotonic()
        while held and held[0][0] <= now:
            verdict(heapq.heappop(held)[1], NF_ACCEPT)
        timeout = max(0.0, held[0][0] - now) if held else 0.2
        try:
            ready, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        if not ready:
            continue
        try:
            buf = sock.recv(1 << 20)
        except OSError:  # ENOBUFS: the kernel dropped queue messages; those packets are lost, like on a bad link
            continue
        now = time.monotonic()
        for pid in packet_ids(buf):
            if rng.random() * 100 < loss:
                verdict(pid, NF_DROP)
            else:
                heapq.heappush(held, (now + max(0.0, delay + rng.uniform(-jitter, jitter)) / 1000, pid))
    for _, pid in held:
        verdict(pid, NF_ACCEPT)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A small append-log engine speaking walcheck's stdio protocol, for the audit's tests.

    applog.py [--variant NAME] load <dir>    batches from stdin (one JSON array a line),
                                             {"seqStart": N, "count": N} once durable
    applog.py [--variant NAME] scan <dir>    live entries in key order, {"key", "value"} hex

The log `<dir>/log` is a sequence of records: u32 length, u32 crc32 of the payload, payload
(JSON). A batch record is {"seq": first seq, "ops": [...]}; a snapshot record (written by
compaction) is {"snap": last seq, "kv": {key: value}}. Recovery reads records up to the
first bad one (short, bad length, bad crc) and a writable open cuts the log there.

Correct behaviour (variant `ok`): a new log is fsynced and so is the directory after its
creation; each batch record is appended and fsynced before its ack; every COMPACT_EVERY
batches the state is written as one snapshot record to `log.tmp`, fsynced, renamed over
`log`, and the directory fsynced. The broken variants each leave out one step:

    no-fsync          never fsyncs the log before the ack
    no-dir-fsync      never fsyncs the directory after creating the log
    rename-unsynced   compaction renames log.tmp over log without fsyncing log.tmp
"""

import json
import os
import struct
import sys
import zlib

VARIANTS = ("ok", "no-fsync", "no-dir-fsync", "rename-unsynced")
COMPACT_EVERY = 4
HEADER = struct.Struct("<II")
RECORD_BYTES_MAX = 1 << 24


def read_records(path):
    """(state dict hex->hex, last seq, end offset of the last good record)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}, 0, 0
    state, last, pos = {}, 0, 0
    while pos + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, pos)
        start = pos + HEADER.size
        if length > RECORD_BYTES_MAX or start + length > len(data):
            break
        payload = data[start : start + length]
        if zlib.crc32(payload) != crc:
            break
        try:
            record = json.loads(payload)
        except ValueError:
            break
        if "snap" in record:
            state, last = dict(record["kv"]), record["snap"]
        else:
            for op in record["ops"]:
                if op[0] == "put":
                    state[op[1]] = op[2]
                else:
                    state.pop(op[1], None)
            last = record["seq"] + len(record["ops"]) - 1
        pos = start + length
    return state, last, pos


def frame(record):
    payload = json.dumps(record, separators=(",", ":")).encode()
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Log:
    def __init__(self, directory, variant):
        self.dir = directory
        self.variant = variant
        self.path = os.path.join(directory, "log")
        self.state, self.last, end = read_records(self.path)
        created = not os.path.exists(self.path)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if created:
            os.fsync(self.fd)
            if variant != "no-dir-fsync":
                fsync_dir(directory)
        elif os.fstat(self.fd).st_size != end:
            os.ftruncate(self.fd, end)  # cut a torn tail before appending after it
            os.fsync(self.fd)
        self.end = end
        self.batches = 0

    def append(self, ops):
        seq = self.last + 1
        record = frame({"seq": seq, "ops": ops})
        os.pwrite(self.fd, record, self.end)
        self.end += len(record)
        if self.variant != "no-fsync":
            os.fsync(self.fd)
        for op in ops:
            if op[0] == "put":
                self.state[op[1]] = op[2]
            else:
                self.state.pop(op[1], None)
        self.last = seq + len(ops) - 1
        self.batches += 1
        return seq

    def compact(self):
        tmp = os.path.join(self.dir, "log.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        record = frame({"snap": self.last, "kv": self.state})
        os.write(fd, record)
        if self.variant != "rename-unsynced":
            os.fsync(fd)
        os.close(fd)
        os.rename(tmp, self.path)
        fsync_dir(self.dir)
        os.close(self.fd)
        self.fd = os.open(self.path, os.O_RDWR)
        self.end = len(record)


def load(directory, variant):
    log = Log(directory, variant)
    for line in sys.stdin:
        if line.strip() == "":
            continue
        ops = json.loads(line)
        seq = log.append(ops)
        sys.stdout.write(json.dumps({"seqStart": seq, "count": len(ops)}) + "\n")
        sys.stdout.flush()
        if log.batches % COMPACT_EVERY == 0:
            log.compact()
    os.close(log.fd)


def scan(directory):
    state, _, _ = read_records(os.path.join(directory, "log"))
    for key in sorted(state):
        sys.stdout.write(json.dumps({"key": key, "value": state[key]}) + "\n")


def main(argv):
    variant = "ok"
    if len(argv) >= 2 and argv[0] == "--variant":
        variant, argv = argv[1], argv[2:]
    if variant not in VARIANTS or len(argv) != 2 or argv[0] not in ("load", "scan"):
        sys.stderr.write(
            "usage: applog.py [--variant %s] load|scan <dir>\n" % "|".join(VARIANTS)
        )
        return 3
    if argv[0] == "load":
        load(argv[1], variant)
    else:
        scan(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

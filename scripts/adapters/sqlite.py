#!/usr/bin/env python3
"""SQLite (python3 stdlib sqlite3, WAL mode) behind walcheck's engine protocol.

    python3 scripts/adapters/sqlite.py [--synchronous FULL|NORMAL|OFF] load <dir>
    python3 scripts/adapters/sqlite.py [--synchronous FULL|NORMAL|OFF] scan <dir>

(or WALCHECK_SQLITE_SYNCHRONOUS=...; the option wins; default FULL). The database is
<dir>/kv.sqlite with a table kv(key BLOB PRIMARY KEY, value BLOB) and a one-row table meta
holding the last sequence number.

load: each stdin line (a `walcheck load` batch, hex) is one transaction: its puts and
deletes and the new last sequence number commit together; the ack {"seqStart": N,
"count": N} is printed after COMMIT returns.

scan: prints every row in key order (BLOB order is bytewise, as walcheck's) as
{"key": hex, "value": hex}.

PRAGMA locking_mode=EXCLUSIVE is set before WAL mode is entered, so SQLite keeps the WAL
index in heap memory and never creates the -shm file: a writable shared mmap, which the
audit's trace cannot see into (it would have to be left out with --ignore '*-shm').
One process uses the database at a time under the protocol, so the exclusive lock costs
nothing here.

Exit status: 0 done; 2 SQLite refused the database (corrupt, not a database); 3 usage or
a bad line.
"""

import json
import os
import sqlite3
import sys

SYNCHRONOUS = ("FULL", "NORMAL", "OFF", "EXTRA")
USAGE = "usage: sqlite.py [--synchronous FULL|NORMAL|OFF|EXTRA] load|scan <dir>"


def connect(directory, synchronous):
    db = sqlite3.connect(os.path.join(directory, "kv.sqlite"), isolation_level=None)
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=%s" % synchronous)
    db.execute("BEGIN")
    db.execute("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY, last_seq INTEGER)")
    db.execute("INSERT OR IGNORE INTO meta VALUES (1, 0)")
    db.execute("COMMIT")
    return db


def load(db):
    last = db.execute("SELECT last_seq FROM meta WHERE id = 1").fetchone()[0]
    for line in sys.stdin:
        if line.strip() == "":
            continue
        ops = json.loads(line)
        db.execute("BEGIN")
        for op in ops:
            if op[0] == "put":
                db.execute(
                    "INSERT OR REPLACE INTO kv VALUES (?, ?)",
                    (bytes.fromhex(op[1]), bytes.fromhex(op[2])),
                )
            elif op[0] == "del":
                db.execute("DELETE FROM kv WHERE key = ?", (bytes.fromhex(op[1]),))
            else:
                raise ValueError("unknown operation %r" % (op[0],))
        db.execute("UPDATE meta SET last_seq = ? WHERE id = 1", (last + len(ops),))
        db.execute("COMMIT")
        sys.stdout.write(json.dumps({"seqStart": last + 1, "count": len(ops)}) + "\n")
        sys.stdout.flush()
        last += len(ops)


def scan(db):
    for key, value in db.execute("SELECT key, value FROM kv ORDER BY key"):
        sys.stdout.write(json.dumps({"key": key.hex(), "value": value.hex()}) + "\n")


def main(argv):
    synchronous = os.environ.get("WALCHECK_SQLITE_SYNCHRONOUS", "FULL").upper()
    if len(argv) >= 2 and argv[0] == "--synchronous":
        synchronous, argv = argv[1].upper(), argv[2:]
    if synchronous not in SYNCHRONOUS or len(argv) != 2 or argv[0] not in ("load", "scan"):
        sys.stderr.write(USAGE + "\n")
        return 3
    try:
        db = connect(argv[1], synchronous)
        try:
            (load if argv[0] == "load" else scan)(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        sys.stderr.write("sqlite.py: cannot use %s: %s\n" % (argv[1], error))
        return 2
    except ValueError as error:
        sys.stderr.write("sqlite.py: bad line: %s\n" % error)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

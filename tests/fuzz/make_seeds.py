#!/usr/bin/env python3
"""Writes the hand-made seed corpora of the fuzz targets to tests/fuzz/corpus/.

Each seed is a small valid or deliberately broken input. Run it again after
changing a wire format; the files are committed so CI needs no Python.
"""
import json
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
ID = "01935f2e-7c4a-7b1e-9d3f-0a1b2c3d4e5f"
T = "2026-11-26T06:00:00.000000+00:00"


def msgpack(v):
    """A minimal msgpack encoder for the values the models use."""
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return (bytes([0xA0 | len(b)]) if len(b) < 32 else b"\xd9" + bytes([len(b)])) + b
    if isinstance(v, list):
        return bytes([0x90 | len(v)]) + b"".join(msgpack(x) for x in v)
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b"".join(msgpack(k) + msgpack(x) for k, x in v.items())
    raise TypeError(v)


ERROR = {"error_type": "ValueError", "message": "boom", "timestamp": T, "traceback": None,
         "retry_count": 1, "is_retryable": True}


def task(status="PENDING", **extra):
    t = {"id": ID, "func_path": "math.add", "args": [2, 3.5, "x", None, [True]],
         "kwargs": {"k": {"n": 1}}, "status": status,
         "schedule": {"eta": T, "interval": {"type": "timedelta", "total_seconds": 60}},
         "max_retries": 3, "attempts": 0, "created_at": T, "updated_at": T}
    t.update(extra)
    return t


RESULT = {"task_id": ID, "status": "SUCCESS", "result": {"sum": 5}, "finished_at": T,
          "attempts": 1, "last_attempt_at": T}


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def models():
    running = task("RUNNING", attempts=1, last_attempt_at=T, lease_expires_at=T, timeout=1.5,
                   error=ERROR)
    return [("task", task()), ("running", running), ("done", task("SUCCESS", attempts=1)),
            ("result", RESULT), ("error", ERROR)]


# fuzz_decode: byte 0 = format (bit 0: msgpack) | model << 1 (0 task, 1 result, 2 error, 3 any).
model_code = {"task": 0, "running": 0, "done": 0, "result": 1, "error": 2}
for name, v in models():
    write("fuzz_decode", name + ".json", bytes([model_code[name] << 1]) + json.dumps(v).encode())
    write("fuzz_decode", name + ".msgpack", bytes([model_code[name] << 1 | 1]) + msgpack(v))
write("fuzz_decode", "truncated.json", b"\x00" + json.dumps(task()).encode()[:40])
write("fuzz_decode", "deep.json", b"\x06" + b"[" * 300 + b"]" * 300)
write("fuzz_decode", "deep.msgpack", b"\x07" + b"\x91" * 300 + b"\x01")
write("fuzz_decode", "huge-array.msgpack", b"\x01\xdd\xff\xff\xff\xff")
write("fuzz_decode", "bad-time.json", b"\x00" + json.dumps(task(created_at="2026-13-45T99:99:99Z")).encode())
write("fuzz_decode", "bad-types.json", b"\x00" + json.dumps(task(attempts="x", args=3)).encode())

# fuzz_file_record: byte 0 = format (bit 0); a task file's content: the task's
# fields, "result" (the result without task_id and value), "result_value".
FINISHED = {"status": "SUCCESS", "finished_at": T, "attempts": 1, "last_attempt_at": T}
for name, v in [("task", task()), ("running", models()[1][1]),
                ("done", dict(task("SUCCESS", attempts=1), result=FINISHED,
                              result_value={"sum": 5})),
                ("failed", dict(task("FAILED", attempts=1, error=ERROR),
                                result=dict(FINISHED, status="FAILED", error=ERROR))),
                ("null-result", dict(task("SUCCESS", attempts=1), result=FINISHED,
                                     result_value=None)),
                ("cancel", dict(models()[1][1], cancel_requested=True))]:
    write("fuzz_file_record", name + ".json", b"\x00" + json.dumps(v).encode())
    write("fuzz_file_record", name + ".msgpack", b"\x01" + msgpack(v))
write("fuzz_file_record", "bad-result.json", b"\x00" + json.dumps(dict(task(), result=3)).encode())
write("fuzz_file_record", "other-id.json", b"\x00" + json.dumps(task(id="other")).encode())
write("fuzz_file_record", "empty", b"\x00")

# fuzz_settings: FuzzedDataProvider input; a few byte patterns.
write("fuzz_settings", "none", b"\x00" * 16)
write("fuzz_settings", "all", b"\x01file\x01\x01./omniq.db\x01" * 12)
write("fuzz_settings", "durations", b"\x0110s\x01\x015m\x01\x017d\x01\x01500ms\x01\x01" * 4)

# fuzz_duration: durations and instants.
for i, s in enumerate(["500ms", "10s", "5m", "2h", "7d", "1.5s", "30", "0", "100us",
                       "99999999999d", "1e9", "-1s", ".5s", "1..2s", "s"]):
    write("fuzz_duration", "duration-%02d" % i, s)
for i, s in enumerate([T, "2026-11-26T06:00:00Z", "2026-11-26T06:00:00.5+05:30",
                       "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00",
                       "2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26"]):
    write("fuzz_duration", "time-%02d" % i, s)

# fuzz_id: valid ids and hostile ones.
for i, s in enumerate([ID, "a", "A_b-9", "x" * 64, "x" * 65, "../x", "a/b", "", "a\x00b",
                       "\xd1\x82\xd0\xb5", ID + ".task", ID + ".running", ID + ".done",
                       ID + ".result", "../x.task", ".task", ID + ".tmp"]):
    write("fuzz_id", "id-%02d" % i, s.encode("utf-8", "surrogateescape"))

# fuzz_cron: expressions that fire, ones that never do, and broken ones.
for i, s in enumerate(["* * * * *", "*/15 * * * *", "0 9 * * 1-5", "30 2 * * *", "0 0 1 * *",
                       "0 0 29 2 *", "0 0 31 4 *", "0 0 30 2 *", "59 23 31 12 *", "0 2-3 * * 0",
                       "0,30 1,2 * 3,10 *", "5-55/10 * * * *", "@daily", "@hourly", "60 * * * *",
                       "* * * *", "a b c d e", "*/0 * * * *", "1-0 * * * *", "0 0 1 1 7"]):
    write("fuzz_cron", "cron-%02d" % i, s)

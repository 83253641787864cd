#!/usr/bin/env python3
"""seed.py - write the seed inputs of the fuzz corpora (tests/corpus/fuzz_*)
from the unit tests' data tables in tests/data, one file per case, named by
the hash of its content. Run from the source tree: python3 tests/corpus/seed.py
The fuzzers' own finds are added next to these with -merge=1
(docs/testing.md)."""
import hashlib
import os
import re

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(TOP, "tests", "data")
OUT = os.path.join(TOP, "tests", "corpus")
HEX = {"T": "4bf92f3577b34da6a3ce929d0e0e4736", "S": "00f067aa0ba902b7",
       "P": "b7ad6b7169203331"}
MIN_SPAN = '{"traceId":"@T","spanId":"@S"'
OTLP_WRAP = '{"resourceSpans":[{"scopeSpans":[{"spans":[%s]}]}]}'
SCAN_WRAP = ('{"resourceSpans":[{"resource":{"attributes":[{"key":'
             '"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":'
             '[{"scope":{"name":"sc"},"spans":[%s]}]}]}')


def rows(name):
    with open(os.path.join(DATA, name), "rb") as f:
        for line in f.read().split(b"\n"):
            if line and not line.startswith(b"#"):
                yield line.split(b"\t")


def ids(b):
    return re.sub(rb"@([TSP])", lambda m: HEX[m.group(1).decode()].encode(), b)


def unescape(b):
    """The tracectx tables' escapes: \\t \\s \\\\ \\xHH, "" for empty."""
    if b == b'""':
        return b""
    def one(m):
        e = m.group(1)
        return {b"t": b"\t", b"s": b" ", b"\\": b"\\"}.get(e) or \
            bytes([int(e[1:], 16)])
    return re.sub(rb"\\(t|s|\\|x[0-9a-fA-F]{2})", one, b)


def write(driver, data):
    d = os.path.join(OUT, driver)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


for r in rows("chat_requests.test"):
    if len(r) >= 3:
        write("fuzz_chat", b"\t".join(r[2:]))
for r in rows("feedback_requests.test"):
    if len(r) >= 3:
        write("fuzz_feedback", b"\t".join(r[2:]))
for line in (b'{"feedback":{"traceId":"@T","spanId":"@S","sessionId":"s1",'
             b'"label":"thumbs_down","score":0,"comment":"too salty",'
             b'"identifier":"fb-@S","timeUnixNano":"1764170000123456789"}}',
             b'{"feedback":{"traceId":"@T","spanId":"@S","sessionId":"s1",'
             b'"label":"thumbs_up","score":1,"identifier":"fb-@S",'
             b'"timeUnixNano":"0"}}'):
    write("fuzz_feedback", ids(line))
for name in ("traceparent.test", "tracestate.test"):
    for r in rows(name):
        write("fuzz_tracectx", unescape(r[0]))
for r in rows("otlp_lines.test"):
    if len(r) < 2:
        continue
    kind, inp = r[0], ids(r[1])
    if kind == b"line":
        write("fuzz_otlp", inp)
    elif kind == b"span":
        write("fuzz_otlp", (OTLP_WRAP % inp.decode("utf-8", "replace")).encode())
    elif kind == b"value":
        span = ids(MIN_SPAN.encode()).decode() + \
            ',"attributes":[{"key":"k","value":%s}]}' % inp.decode("utf-8", "replace")
        write("fuzz_otlp", (OTLP_WRAP % span).encode())
for r in rows("spanscan.test"):
    if len(r) < 2:
        continue
    kind, inp = r[0], ids(r[1])
    if kind == b"line":
        write("fuzz_spanscan", inp)
    elif kind == b"span":
        write("fuzz_spanscan", (SCAN_WRAP % inp.decode("utf-8", "replace")).encode())

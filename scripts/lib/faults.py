#!/usr/bin/env python3
"""The socket side of scripts/faults (standard library only): hostile and faulty clients,
a counting origin proxy, the figures and the report. Everything talks to 127.0.0.1 only.

Every command that measures appends figures to the JSON-lines file $FAULTS_FIGURES, one
{scenario, figure, value, unit, bound, passed, note} a line; FAULTS_MISSING_FLAGS lists the
connection flags the binary lacks (space-separated), and a figure that depends on one says so.

  faults.py figure SCENARIO FIGURE VALUE OP LIMIT [UNIT] [NEEDS]
      records VALUE (a number, or '-' when it was not measured: a miss) against OP LIMIT
      (OP: < <= == >=, or 'info' for a figure without a bound); NEEDS names the flag it depends on.
  faults.py slowloris URL --sockets N --seconds S --pid PID --header-timeout T
      N connections each sending a request head one byte a second; a connection the server
      ends is opened again. Figures: sockets held, heads cut and how long they lasted (the
      99th percentile bounded by T + 1 s), the server's RSS growth (bounded by 50 MB).
  faults.py idle URL --sockets N --pid PID --idle-timeout T
      N keep-alive connections that send one GET /health and then stay idle (the client's own
      RLIMIT_NOFILE raised first); once they are open, a new connection's GET /health must be
      answered within T + 1 s.
  faults.py single-flight URL PATH --count N --keys FILE --object FILE --origin-path P --origin-log FILE
      N connections opened first, then N GETs of PATH sent at once: every answer must be 200
      with FILE's bytes, and the origin proxy's log must show one GET of P (/bucket/key).
  faults.py origin-proxy PORT UPSTREAM --delay S --log FILE
      an HTTP proxy on 127.0.0.1:PORT in front of UPSTREAM (moto) that logs "METHOD PATH" a
      line and holds every GET for S seconds before forwarding it: concurrent misses overlap.
  faults.py hostile URL --key KEY --redis-port P --pid PID --body-timeout T
      malformed JSON, 16 MiB bodies with and without Connection: close, nesting 10 000 deep,
      lying Content-Length both ways, and LZ4 bombs planted in Redis under the key
      POST /api/cache/explain names: each must be a 4xx (a bomb: a miss), never a hang, with
      the process alive and /health answering after it; a valid entry planted the same way
      must be a hit (the control: the bombs sat under the key the get reads).
  faults.py sigterm URL --pid PID --bodies FILE --sets FILE --keys FILE --grace G
      a get load, uploads caught mid-body and one upload that never finishes; SIGTERM; every
      request in flight must be answered 2xx and the process must exit within G (+1 s).
  faults.py report FIGURES OUT.json
      the markdown table on stdout and OUT.json ({date, commit, command, machine, settings,
      load_average_at_start, connection_flags, missing_flags, figures, missed}); exits 1 when
      a figure missed its bound.
"""
import argparse
import asyncio
import hashlib
import http.client
import http.server
import json
import os
import resource
import signal
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (get_body, machine: shared with scripts/bench)

HOST = "127.0.0.1"
OPS = {"<": lambda v, l: v < l, "<=": lambda v, l: v <= l, "==": lambda v, l: v == l, ">=": lambda v, l: v >= l}


# --- figures ------------------------------------------------------------------------------------

def missing_flags():
    return os.environ.get("FAULTS_MISSING_FLAGS", "").split()


def record(scenario, figure, value, bound, passed, unit="", needs=None, note=""):
    """Appends one figure. `bound` is text ('< 10 ms', '4xx, no hang'); `passed` None = info."""
    if needs and needs in missing_flags():
        note = (note + "; " if note else "") + f"this build has no {needs}"
    row = {"scenario": scenario, "figure": figure, "value": value, "unit": unit, "bound": bound,
           "passed": passed, "note": note}
    with open(os.environ["FAULTS_FIGURES"], "a") as out:
        out.write(json.dumps(row) + "\n")
    verdict = "info" if passed is None else ("ok" if passed else "MISSED")
    print(f"   {scenario}: {figure}: {shown(value, unit)}  [{bound or '-'}: {verdict}]"
          + (f"  ({note})" if note else ""), flush=True)


def bounded(scenario, figure, value, op, limit, unit="", needs=None, note=""):
    """Records a number against `op limit`; a value of None (not measured) misses."""
    passed = value is not None and OPS[op](value, limit)
    record(scenario, figure, value, f"{op} {shown(limit, unit)}", passed, unit, needs, note)


def shown(value, unit=""):
    if value is None:
        return "not measured"
    if isinstance(value, float):
        value = f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.0f}"
    return f"{value} {unit}".strip()


def command_figure(argv):
    scenario, figure, value, op, limit = argv[:5]
    unit = argv[5] if len(argv) > 5 else ""
    needs = argv[6] if len(argv) > 6 and argv[6] else None
    number = None if value in ("-", "") else float(value)
    if op == "info":
        record(scenario, figure, number, "", None, unit, needs)
    else:
        bounded(scenario, figure, number, op, float(limit), unit, needs)


# --- processes and sockets ----------------------------------------------------------------------

def raise_nofile():
    """This client's own descriptor limit up to its hard limit (the server's is not touched)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def alive(pid):
    """True while `pid` runs (a zombie, exited but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def url_port(url):
    parts = urllib.parse.urlsplit(url)
    if parts.hostname != HOST:
        sys.exit(f"faults.py: only {HOST} is allowed, got {url}")
    return parts.port


def request_bytes(method, path, body=b"", headers=(), key=None):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    if key:
        lines.append(f"X-API-Key: {key}")
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader):
    """(status, headers, body) of one HTTP/1.1 answer (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            body += await reader.readexactly(size + 2)
            if size == 0:
                break
            body = body[:-2]
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


def read_answer(sock, result):
    """Reads one answer (head and Content-Length body) from `sock` into `result`: status and
    body, or closed when the server closed first. Socket errors and timeouts propagate."""
    buffered = b""
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        if not chunk:
            result["closed"] = True
            return
        buffered += chunk
    head, body = buffered.split(b"\r\n\r\n", 1)
    result["status"] = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    result["body"] = body


def exchange(port, data, deadline):
    """Sends `data` on a new blocking socket and reads one answer within `deadline` seconds:
    {status, elapsed, closed (the server closed), hang, error, body}."""
    started = time.monotonic()
    result = {"status": None, "elapsed": None, "closed": False, "hang": False, "error": None, "body": b""}
    with socket.create_connection((HOST, port), timeout=deadline) as sock:
        try:
            sock.sendall(data)
            read_answer(sock, result)
        except socket.timeout:
            result["hang"] = True
        except OSError as error:
            result["error"] = error.__class__.__name__
    result["elapsed"] = time.monotonic() - started
    return result


def health_ok(port, timeout=3.0):
    try:
        return exchange(port, request_bytes("GET", "/health"), timeout)["status"] == 200
    except OSError:
        return False


# --- slowloris ----------------------------------------------------------------------------------

async def slowloris(args):
    raise_nofile()
    port = url_port(args.url)
    deadline = time.monotonic() + args.seconds
    state = {"open": 0, "peak": 0, "opened": 0, "connect_failures": 0}
    lasted = []   # seconds each connection the server ended had lasted
    rss = [rss_mb(args.pid)]

    async def sample():
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            rss.append(rss_mb(args.pid))

    async def attacker(index):
        await asyncio.sleep(index * 2.0 / args.sockets)   # the sockets open over 2 s
        while time.monotonic() < deadline:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
            except (OSError, asyncio.TimeoutError):
                state["connect_failures"] += 1
                await asyncio.sleep(1)
                continue
            state["opened"] += 1
            state["open"] += 1
            state["peak"] = max(state["peak"], state["open"])
            started = time.monotonic()
            try:
                writer.write(b"POST /api/cache/get HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                while time.monotonic() < deadline:
                    try:
                        await asyncio.wait_for(reader.read(4096), 1.0)   # an answer or EOF: cut
                    except asyncio.TimeoutError:
                        writer.write(b"a")
                        await writer.drain()
                        continue
                    lasted.append(time.monotonic() - started)
                    break
            except OSError:
                lasted.append(time.monotonic() - started)
            finally:
                state["open"] -= 1
                writer.close()

    await asyncio.gather(sample(), *(attacker(i) for i in range(args.sockets)))
    s = "slowloris"
    record(s, "slow connections held at once (peak)", state["peak"], "", None,
           note=f"{state['opened']} opened, {state['connect_failures']} connects failed")
    record(s, "slow heads cut by the server", len(lasted), "", None)
    cut = sorted(lasted)[int(0.99 * (len(lasted) - 1))] if lasted else None
    bounded(s, "a slow head lasted (99th percentile)", cut, "<=", args.header_timeout + 1, "s", needs="--header-timeout")
    grown = max(r for r in rss if r is not None) - rss[0] if rss[0] is not None else None
    bounded(s, "server RSS growth", grown, "<", 50, "MB")
    bounded(s, "server alive after", 1 if alive(args.pid) and health_ok(port) else 0, "==", 1)


# --- idle sockets -------------------------------------------------------------------------------

async def idle(args):
    hard = raise_nofile()
    port = url_port(args.url)
    state = {"connected": 0, "answered": 0, "cut": 0, "failed": 0}
    settled = asyncio.Event()
    pending = [args.sockets]

    async def holder():
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 60)
        except (OSError, asyncio.TimeoutError):
            state["failed"] += 1
            return
        finally:
            pending[0] -= 1
            if pending[0] == 0:
                settled.set()
        state["connected"] += 1
        try:
            writer.write(request_bytes("GET", "/health"))
            await read_response(reader)
            state["answered"] += 1
            await reader.read()   # idle until the server ends it
            state["cut"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            state["cut"] += 1
        finally:
            writer.close()

    holders = [asyncio.ensure_future(holder()) for _ in range(args.sockets)]
    try:
        await asyncio.wait_for(settled.wait(), 3)   # every connect done, or 3 s
    except asyncio.TimeoutError:
        pass
    held = state["connected"]
    started = time.monotonic()
    waited = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), args.probe_timeout)
        writer.write(request_bytes("GET", "/health"))
        status, _, _ = await asyncio.wait_for(read_response(reader), args.probe_timeout - (time.monotonic() - started))
        if status == 200:
            waited = time.monotonic() - started
        writer.close()
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        pass
    for task in holders:
        task.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
    s = "idle"
    record(s, "idle connections open when /health was asked", held, "", None,
           note=f"of {args.sockets}; {state['answered']} answered, {state['failed']} connects failed, client nofile {hard}")
    bounded(s, "/health answered after", waited, "<=", args.idle_timeout + 1, "s", needs="--idle-timeout",
            note="" if waited is not None else f"no answer within {args.probe_timeout:.0f} s")
    record(s, "idle connections the server closed meanwhile", state["cut"], "", None)
    bounded(s, "server alive after", 1 if alive(args.pid) else 0, "==", 1)


# --- single flight ------------------------------------------------------------------------------

async def single_flight(args):
    raise_nofile()
    port = url_port(args.url)
    keys = [line.strip() for line in open(args.keys) if line.strip()] if args.keys else []
    expected = hashlib.sha256(open(args.object, "rb").read()).hexdigest()
    connections = await asyncio.gather(*(asyncio.open_connection(HOST, port) for _ in range(args.count)))
    for index, (_, writer) in enumerate(connections):
        writer.write(request_bytes("GET", args.path, key=keys[index % len(keys)] if keys else None))

    async def answer(reader):
        try:
            status, headers, body = await asyncio.wait_for(read_response(reader), 60)
            return status == 200 and hashlib.sha256(body).hexdigest() == expected, headers.get("x-cache", "")
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            return False, ""
    answers = await asyncio.gather(*(answer(reader) for reader, _ in connections))
    for _, writer in connections:
        writer.close()
    gets = sum(1 for line in open(args.origin_log) if line.split()[:2] == ["GET", args.origin_path])
    s = "single-flight"
    bounded(s, f"origin GETs for {args.count} concurrent misses", gets, "==", 1)
    bounded(s, "answers 200 with the object's bytes", sum(ok for ok, _ in answers), "==", args.count,
            note=f"X-Cache: {sum(x == 'MISS' for _, x in answers)} MISS")


class CountingProxy(http.server.BaseHTTPRequestHandler):
    """Forwards to the upstream (moto) after logging the request line; GETs wait `delay` s."""
    protocol_version = "HTTP/1.1"
    upstream = None
    delay = 0.0
    log_path = None
    lock = threading.Lock()
    hop_by_hop = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}

    def forward(self):
        with self.lock, open(self.log_path, "a") as log:
            log.write(f"{self.command} {urllib.parse.urlsplit(self.path).path}\n")
        if self.command == "GET":
            time.sleep(self.delay)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self.hop_by_hop}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in self.hop_by_hop and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward

    def log_message(self, *args):
        pass


def origin_proxy(args):
    upstream = urllib.parse.urlsplit(args.upstream)
    url_port(args.upstream)
    CountingProxy.upstream = (upstream.hostname, upstream.port)
    CountingProxy.delay = args.delay
    CountingProxy.log_path = args.log
    open(args.log, "w").close()
    server = http.server.ThreadingHTTPServer((HOST, args.port), CountingProxy)
    server.daemon_threads = True
    server.serve_forever()


# --- hostile bodies -----------------------------------------------------------------------------

def resp(*arguments):
    """A Redis command in RESP."""
    out = [f"*{len(arguments)}\r\n".encode()]
    for argument in arguments:
        data = argument if isinstance(argument, bytes) else str(argument).encode()
        out += [f"${len(data)}\r\n".encode(), data, b"\r\n"]
    return b"".join(out)


def redis_command(port, *arguments):
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(resp(*arguments))
        return sock.recv(4096).split(b"\r\n")[0].decode()


def lz4_bomb(expanded):
    """One valid LZ4 block of about expanded/255 bytes that expands to exactly `expanded`
    bytes of 'A': one literal, one match of offset 1 as long as it gets, five closing literals."""
    extra = expanded - 1 - 5 - 4 - 15   # beyond the token's 15 and LZ4's minimum match of 4
    block = bytearray([0x1F]) + b"A" + (1).to_bytes(2, "little")
    block += b"\xff" * (extra // 255) + bytes([extra % 255])
    return bytes(block + bytes([0x50]) + b"AAAAA")


def entry(raw_length, payload, key_hex, lz4=True):
    """EntryCodec's form, version 3: "AC", 3, flags, raw length u32, created and expires ms,
    the entry's key (high and low words of the 32 hex digits, each u64 little-endian)."""
    now = int(time.time() * 1000)
    high, low = int(key_hex[:16], 16), int(key_hex[16:], 16)
    return (b"AC\x03" + bytes([1 if lz4 else 0]) + raw_length.to_bytes(4, "little")
            + now.to_bytes(8, "little") + (now + 3_600_000).to_bytes(8, "little")
            + high.to_bytes(8, "little") + low.to_bytes(8, "little") + payload)


def hostile(args):
    port = url_port(args.url)
    key_header = [f"X-API-Key: {args.key}"] if args.key else []
    rss_before = rss_mb(args.pid)
    s = "hostile"
    lookup = {"provider": "openai", "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hostile"}]}
    small = json.dumps(lookup).encode()

    def post(path, body, extra=(), length=None, deadline=10.0):
        head = [f"POST {path} HTTP/1.1", f"Host: {HOST}", "Content-Type: application/json",
                f"Content-Length: {len(body) if length is None else length}", *key_header, *extra]
        return exchange(port, ("\r\n".join(head) + "\r\n\r\n").encode() + body, deadline)

    def verdict(name, result, ok, deadline):
        alive_after = alive(args.pid) and health_ok(port)
        passed = ok and not result["hang"] and alive_after
        value = (f"{result['status'] or 'no answer'} in {result['elapsed']:.2f} s"
                 + (", hang" if result["hang"] else "") + (f", {result['error']}" if result["error"] else "")
                 + (", closed" if result["closed"] and not result["status"] else "")
                 + ("" if alive_after else ", SERVER DOWN"))
        note = ("RFC 9112: an early answer to Connection: close is followed by a close (issue 10 item 2)"
                if "Connection: close" in name and not passed else "")
        record(s, name, value, f"4xx within {deadline:.0f} s, alive", passed,
               needs="--body-timeout" if "longer" in name else None, note=note)

    def four_xx(result):
        return result["status"] is not None and 400 <= result["status"] < 500

    cases = [
        ("malformed JSON (get)", b'{"provider":"openai","model":', ()),
        ("not JSON (get)", b"\xff\xfe\x00garbage", ()),
        ("messages nested 10 000 deep (get)",
         b'{"provider":"openai","model":"m","messages":' + b"[" * 10000 + b"]" * 10000 + b"}", ()),
        ("response nested 10 000 deep (set)",
         small[:-1] + b',"response":' + b"[" * 10000 + b"]" * 10000 + b"}", ()),
    ]
    for name, body, extra in cases:
        path = "/api/cache/set" if "(set)" in name else "/api/cache/get"
        result = post(path, body, extra)
        verdict(name, result, four_xx(result), 10)

    # 16 MiB, sent by a thread while this one reads: the 413 must come, and the upload must
    # not block (the server drains the body or closes).
    big = small[:-1] + b',"response":"' + b"x" * (16 << 20) + b'"}'
    for close in (False, True):
        name = "16 MiB set" + (", Connection: close" if close else "")
        head = [f"POST /api/cache/set HTTP/1.1", f"Host: {HOST}", "Content-Type: application/json",
                f"Content-Length: {len(big)}", *key_header] + (["Connection: close"] if close else [])
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + big
        result = upload(port, data, 10.0)
        verdict(name, result, four_xx(result) and result["upload"] != "blocked", 10)

    result = post("/api/cache/get", small, length=len(small) - 20)
    verdict("Content-Length shorter than the body", result, four_xx(result), 10)
    deadline = args.body_timeout + 3
    result = post("/api/cache/get", small, length=len(small) + 100, deadline=deadline)
    ok = (four_xx(result) or result["closed"]) and result["elapsed"] <= args.body_timeout + 1
    verdict(f"Content-Length longer than the body (answer or close within {args.body_timeout + 1:.0f} s)",
            result, ok, deadline)

    # LZ4 bombs planted in Redis under the key a get of `bomb_body` reads.
    if args.redis_port:
        control = b'{"planted":true}'
        # Each value is built for the key its get reads (the entry keeps its key, SPEC §2).
        bombs = [
            ("control: a valid raw entry planted the same way", lambda k: entry(len(control), control, k, lz4=False)),
            ("declares 4 GiB", lambda k: entry(0xFFFFFFFF, lz4_bomb(1 << 20), k)),
            ("declares 1 KiB, expands to 256 MiB", lambda k: entry(1024, lz4_bomb(256 << 20), k)),
            ("declares and expands to 1 GiB (the codec's ceiling)", lambda k: entry(1 << 30, lz4_bomb(1 << 30), k)),
            ("declares 1 KiB, corrupt block", lambda k: entry(1024, b"\xff" * 64, k)),
            ("10 bytes, not an entry", lambda k: b"AC\x03\x01garbag"),
            ("another key's valid entry", lambda k: entry(len(control), control, "0" * 32, lz4=False)),
        ]
        for index, (name, make) in enumerate(bombs):
            body = bench.get_body(900000 + index, "faults-bomb").encode()
            explained = post("/api/cache/explain", body)
            if explained["status"] != 200:
                record(s, f"LZ4 bomb, {name}", f"explain answered {explained['status']}", "a miss", False)
                continue
            answer = json.loads(explained["body"])
            value = make(answer["key"])
            generation = next(f["canonical"] for f in answer["fields"] if f["field"] == "generation")
            redis_key = f"ac:{answer['qualified_namespace']}:{generation}:{answer['key']}"
            stored = redis_command(args.redis_port, "SET", redis_key, value, "PX", 600000)
            result = post("/api/cache/get", body)
            try:
                hit = json.loads(result["body"]).get("hit") if result["status"] == 200 else None
            except ValueError:
                hit = None
            # The control proves the key is the one the get reads: it must be a Redis hit.
            wanted = index == 0
            alive_after = alive(args.pid) and health_ok(port)
            value_text = (f"{result['status'] or 'no answer'}"
                          + {True: " hit", False: " miss", None: ""}[hit] + f" in {result['elapsed']:.2f} s"
                          + ("" if stored == "+OK" else f", SET said {stored}") + ("" if alive_after else ", SERVER DOWN"))
            record(s, f"Redis value under the get's key: {name} ({len(value):,} bytes)", value_text,
                   f"a {'hit' if wanted else 'miss'} within 10 s, alive", hit is wanted and not result["hang"] and alive_after)
    rss_after = rss_mb(args.pid)
    record(s, "server RSS growth over the hostile bodies",
           None if rss_before is None or rss_after is None else rss_after - rss_before, "", None, "MB")


def upload(port, data, deadline):
    """`exchange` for a body too large to send before reading: a thread sends while this one
    reads; 'upload' says how the send ended (sent, stopped by the server, blocked)."""
    sock = socket.create_connection((HOST, port), timeout=deadline)
    outcome = {"upload": "blocked"}

    def send():
        try:
            sock.sendall(data)
            outcome["upload"] = "sent"
        except socket.timeout:
            outcome["upload"] = "blocked"
        except OSError:
            outcome["upload"] = "stopped by the server"
    sender = threading.Thread(target=send, daemon=True)
    started = time.monotonic()
    sender.start()
    result = {"status": None, "closed": False, "hang": False, "error": None, "body": b""}
    try:
        read_answer(sock, result)
    except socket.timeout:
        result["hang"] = True
    except OSError as error:
        result["error"] = error.__class__.__name__
    sender.join(max(0.0, deadline - (time.monotonic() - started)))
    if sender.is_alive():
        result["hang"] = True
    result["elapsed"] = time.monotonic() - started
    result["upload"] = outcome["upload"]
    if result["status"] is not None:
        result["error"] = (result["error"] + ", " if result["error"] else "") + "upload " + outcome["upload"]
    sock.close()
    return result


# --- SIGTERM under load -------------------------------------------------------------------------

async def sigterm(args):
    raise_nofile()
    port = url_port(args.url)
    bodies = [line.rstrip("\n").encode() for line in open(args.bodies) if line.strip()]
    sets = [line.rstrip("\n").encode() for line in open(args.sets) if line.strip()]
    keys = [line.strip() for line in open(args.keys) if line.strip()] if args.keys else [None]
    term = {"at": None}
    terminated = asyncio.Event()
    loaded = []     # (request sent at, answered 2xx)
    uploads = []    # answered 2xx
    stuck = {"cut_after_term": None}
    ready = []

    async def loader(index):
        while term["at"] is None or time.monotonic() - term["at"] < args.grace + 2:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
            except OSError:
                if term["at"] is not None:
                    return   # the listener is gone: the shutdown has begun
                await asyncio.sleep(0.01)
                continue
            try:
                while True:
                    n = len(loaded) + index
                    writer.write(request_bytes("POST", "/api/cache/get", bodies[n % len(bodies)], key=keys[n % len(keys)]))
                    sent = time.monotonic()
                    try:
                        status, headers, _ = await asyncio.wait_for(read_response(reader), args.grace + 5)
                    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
                        loaded.append((sent, False))
                        break
                    loaded.append((sent, 200 <= status < 300))
                    if headers.get("connection", "").lower() == "close":
                        break
            finally:
                writer.close()

    async def uploader(index):
        body = sets[index % len(sets)]
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(request_bytes("POST", "/api/cache/set", body, key=keys[index % len(keys)])[:-(len(body) // 2)])
        await writer.drain()
        ready.append(index)
        await terminated.wait()
        await asyncio.sleep(1.0)   # the rest of the body a second after the SIGTERM
        try:
            writer.write(body[-(len(body) // 2):])
            status, _, _ = await asyncio.wait_for(read_response(reader), args.grace + 5)
            uploads.append(200 <= status < 300)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError):
            uploads.append(False)
        writer.close()

    async def never_finishes():
        # An upload that keeps moving (one byte a second, so no body timeout ends it) and
        # never completes: only the shutdown's deadline can.
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(request_bytes("POST", "/api/cache/set", b"{", key=keys[0])
                     .replace(b"Content-Length: 1\r\n", b"Content-Length: 100000\r\n"))
        while True:
            try:
                await asyncio.wait_for(reader.read(), 1.0)   # EOF or an answer: the server ended it
                break
            except asyncio.TimeoutError:
                if term["at"] is not None and time.monotonic() - term["at"] > args.grace + 10:
                    break
                writer.write(b" ")
            except OSError:
                break
        if term["at"] is not None:
            stuck["cut_after_term"] = time.monotonic() - term["at"]
        writer.close()

    tasks = [asyncio.ensure_future(loader(i)) for i in range(args.connections)]
    tasks += [asyncio.ensure_future(uploader(i)) for i in range(args.uploads)]
    tasks.append(asyncio.ensure_future(never_finishes()))
    await asyncio.sleep(2)
    while len(ready) < args.uploads:
        await asyncio.sleep(0.05)
    term["at"] = time.monotonic()
    os.kill(args.pid, signal.SIGTERM)
    terminated.set()
    exited = None
    while time.monotonic() - term["at"] < args.grace + 10:
        if not alive(args.pid):
            exited = time.monotonic() - term["at"]
            break
        await asyncio.sleep(0.02)
    await asyncio.wait(tasks, timeout=5)
    for task in tasks:
        task.cancel()
    s = "sigterm"
    in_flight = [ok for sent, ok in loaded if sent < term["at"] - 0.005]
    record(s, "load requests answered before and during the shutdown", sum(ok for _, ok in loaded), "", None,
           note=f"{args.connections} connections")
    bounded(s, "in-flight gets failed (sent 5 ms or more before the SIGTERM)", in_flight.count(False), "==", 0)
    bounded(s, f"uploads mid-body at the SIGTERM not answered 2xx (of {args.uploads})",
            args.uploads - sum(uploads), "==", 0, needs="--shutdown-grace")
    bounded(s, "SIGTERM to exit", exited, "<=", args.grace + 1, "s", needs="--shutdown-grace",
            note="" if exited is not None else f"still running {args.grace + 10:.0f} s after the SIGTERM")
    record(s, "the upload that never finishes was cut after", stuck["cut_after_term"], "", None, "s")


# --- report -------------------------------------------------------------------------------------

def report(args):
    figures = [json.loads(line) for line in open(args.figures) if line.strip()]
    missed = [f for f in figures if f["passed"] is False]
    document = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": os.environ.get("FAULTS_COMMIT"),
        "command": os.environ.get("FAULTS_COMMAND"),
        "machine": bench.machine(),
        "settings": {name: os.environ.get(name) for name in (
            "QUICK", "IDLE_TIMEOUT", "HEADER_TIMEOUT", "BODY_TIMEOUT", "SHUTDOWN_GRACE", "THREADS", "CONNECTIONS",
            "AUTH", "API_KEYS")},
        "load_average_at_start": os.environ.get("FAULTS_LOAD_AT_START"),
        "connection_flags": os.environ.get("FAULTS_CONNECTION_FLAGS", ""),
        "missing_flags": missing_flags(),
        "figures": figures,
        "missed": len(missed),
    }
    with open(args.out, "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    print("| scenario | figure | measured | bound | result |")
    print("|---|---|---|---|---|")
    for f in figures:
        result = "–" if f["passed"] is None else ("ok" if f["passed"] else "**missed**")
        if f["note"]:
            result += f" ({f['note']})"
        print(f"| {f['scenario']} | {f['figure']} | {shown(f['value'], f['unit'])} | {f['bound'] or '–'} | {result} |")
    print()
    bound_count = sum(1 for f in figures if f["passed"] is not None)
    print(f"{bound_count - len(missed)} of {bound_count} bounded figures within their bounds"
          + (f"; missing flags: {' '.join(missing_flags())}" if missing_flags() else ""))
    sys.exit(1 if missed else 0)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "figure":
        return command_figure(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("slowloris")
    p.add_argument("url"); p.add_argument("--sockets", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=30); p.add_argument("--pid", type=int, required=True)
    p.add_argument("--header-timeout", type=float, required=True)
    p = commands.add_parser("idle")
    p.add_argument("url"); p.add_argument("--sockets", type=int, default=2000)
    p.add_argument("--pid", type=int, required=True); p.add_argument("--idle-timeout", type=float, required=True)
    p.add_argument("--probe-timeout", type=float)
    p = commands.add_parser("single-flight")
    p.add_argument("url"); p.add_argument("path"); p.add_argument("--count", type=int, default=500)
    p.add_argument("--keys"); p.add_argument("--object", required=True); p.add_argument("--origin-path", required=True)
    p.add_argument("--origin-log", required=True)
    p = commands.add_parser("origin-proxy")
    p.add_argument("port", type=int); p.add_argument("upstream")
    p.add_argument("--delay", type=float, default=1.0); p.add_argument("--log", required=True)
    p = commands.add_parser("hostile")
    p.add_argument("url"); p.add_argument("--key"); p.add_argument("--redis-port", type=int)
    p.add_argument("--pid", type=int, required=True); p.add_argument("--body-timeout", type=float, required=True)
    p = commands.add_parser("sigterm")
    p.add_argument("url"); p.add_argument("--pid", type=int, required=True)
    p.add_argument("--bodies", required=True); p.add_argument("--sets", required=True); p.add_argument("--keys")
    p.add_argument("--grace", type=float, required=True)
    p.add_argument("--connections", type=int, default=16); p.add_argument("--uploads", type=int, default=16)
    p = commands.add_parser("report")
    p.add_argument("figures"); p.add_argument("out")
    args = parser.parse_args()
    if args.command == "slowloris":
        asyncio.run(slowloris(args))
    elif args.command == "idle":
        args.probe_timeout = args.probe_timeout or args.idle_timeout + 6
        asyncio.run(idle(args))
    elif args.command == "single-flight":
        asyncio.run(single_flight(args))
    elif args.command == "origin-proxy":
        origin_proxy(args)
    elif args.command == "hostile":
        hostile(args)
    elif args.command == "sigterm":
        asyncio.run(sigterm(args))
    else:
        report(args)


if __name__ == "__main__":
    main()

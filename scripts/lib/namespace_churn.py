"""Load for scripts/namespace-bench: POST /api/cache/get through one API key, each request in a
fresh X-Cache-Namespace (ns0, ns1, ...), over CONNECTIONS keep-alive connections with DEPTH
requests pipelined on each. Prints, for the first and the last thousand namespaces (and a few
in between), the req/s and, with --server-pid, the server's CPU time per request; then their
ratios, and the same for the medians of the first and last ten thousands. Exits 1 on any answer
other than 200.

Windows are timed by completion: window k runs from the moment the last answer of window k-1
arrived (the start, for the first) to the moment its own last answer arrived. CPU time is the sum
of the server's threads' run time (/proc/<pid>/task/*/schedstat, nanoseconds) read at the same
moments: on a shared machine req/s of one thousand (tens of milliseconds) swings with other
processes, CPU per request much less. Standard library only (one selector loop).
"""

import glob
import statistics

import argparse
import selectors
import socket
import sys
import time

BODY = b'{"provider":"openai","model":"gpt-4o","messages":[{"role":"user","content":"What is 2+2?"}]}'


def request(key: str, index: int) -> bytes:
    head = (
        "POST /api/cache/get HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {key}\r\nX-Cache-Namespace: ns{index}\r\nContent-Length: {len(BODY)}\r\n\r\n"
    )
    return head.encode() + BODY


def server_cpu_ns(pid: int | None) -> int:
    """Run time so far of every thread of `pid`, in nanoseconds (0 without a pid)."""
    if pid is None:
        return 0
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as file:
                total += int(file.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended meanwhile
    return total


class Connection:
    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inflight: list[int] = []
        self.buffer = b""

    def answers(self):
        """Yields (index, status) for every complete answer in the buffer."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            lines = head.split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            yield self.inflight.pop(0), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--namespaces", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--depth", type=int, default=16)
    parser.add_argument("--window", type=int, default=1000)
    parser.add_argument("--server-pid", type=int, help="report the server's CPU time per request")
    args = parser.parse_args()
    total, window = args.namespaces, args.window
    if total < 20 * window or total % window:
        print(f"--namespaces must be a multiple of --window ({window}), at least 20 of them", file=sys.stderr)
        return 2

    selector = selectors.DefaultSelector()
    connections = [Connection(args.host, args.port) for _ in range(args.connections)]
    for connection in connections:
        selector.register(connection.sock, selectors.EVENT_READ, connection)
    finished = [0.0] * total
    failures: dict[int, int] = {}
    sent = answered = 0
    # CPU time of the server when each window was complete (index 0: at the start).
    cpu = [server_cpu_ns(args.server_pid)]
    start = time.perf_counter()

    def fill(connection: Connection) -> None:
        nonlocal sent
        batch = []
        while len(connection.inflight) < args.depth and sent < total:
            connection.inflight.append(sent)
            batch.append(request(args.key, sent))
            sent += 1
        if batch:
            connection.sock.sendall(b"".join(batch))

    for connection in connections:
        fill(connection)
    while answered < total:
        for event, _ in selector.select():
            connection = event.data
            chunk = connection.sock.recv(1 << 20)
            if not chunk:
                print("namespace-churn: the server closed a connection", file=sys.stderr)
                return 1
            connection.buffer += chunk
            now = time.perf_counter()
            for index, status in connection.answers():
                finished[index] = now
                answered += 1
                if answered % window == 0:
                    cpu.append(server_cpu_ns(args.server_pid))
                if status != 200:
                    failures[status] = failures.get(status, 0) + 1
            fill(connection)
    elapsed = time.perf_counter() - start
    if failures:
        print(f"namespace-churn: answers other than 200: {failures}", file=sys.stderr)
        return 1

    def rate(first: int) -> float:
        """req/s of the window [first, first + window)."""
        begin = start if first == 0 else max(finished[first - window : first])
        return window / (max(finished[first : first + window]) - begin)

    def cpu_us(first: int) -> float:
        """Server CPU microseconds per request over the window [first, first + window)."""
        k = first // window
        return (cpu[k + 1] - cpu[k]) / window / 1000

    windows = total // window
    rates = [rate(k * window) for k in range(windows)]
    costs = [cpu_us(k * window) for k in range(windows)] if args.server_pid else []
    last = total - window
    print(f"{total} requests, {total} namespaces, {args.connections} connections x {args.depth} pipelined: {total / elapsed:.0f} req/s overall")
    for first in sorted({0, total // 4 // window * window, total // 2 // window * window, 3 * total // 4 // window * window, last}):
        line = f"  namespaces {first:>7}-{first + window - 1:<7} {rates[first // window]:8.0f} req/s"
        if costs:
            line += f"  {costs[first // window]:7.1f} us server CPU/request"
        print(line)
    print(f"last thousand / first thousand: req/s {rates[-1] / rates[0]:.2f}" + (f", CPU/request {costs[-1] / costs[0]:.2f}" if costs else ""))
    head, tail = statistics.median(rates[:10]), statistics.median(rates[-10:])
    line = f"median of the last ten thousands / first ten: req/s {tail:.0f} / {head:.0f} = {tail / head:.2f}"
    if costs:
        head_cost, tail_cost = statistics.median(costs[:10]), statistics.median(costs[-10:])
        line += f"; CPU/request {tail_cost:.1f} / {head_cost:.1f} us = {tail_cost / head_cost:.2f}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The number side of scripts/bench (standard library only).

  bench.py gen DIR --count N --value-bytes V --kind json|random [--namespace NS]
      DIR/bodies.txt: N get bodies, one a line (a chat lookup whose user message names its
      index); DIR/sets.txt: the same N requests as sets of DIR/value.json, the stored answer,
      exactly V bytes of JSON: json = a chat-completion object (compressible: LZ4-stored),
      random = base64 of random bytes (incompressible: stored raw).
  bench.py warm URL --sets FILE --keys FILE [--fraction F]
      POSTs the sets of FILE to URL/api/cache/set (a fraction F of them, spread evenly over
      the Zipf ranks), API keys taken in turn from --keys; fails on any non-2xx.
  bench.py warm URL --get PREFIX --count N [--keys FILE]
      GETs URL PREFIX 1..N (Varnish's URLs, the origin tier's objects), API keys in turn.
  bench.py s3-put ENDPOINT BUCKET PREFIX COUNT FILE
      creates BUCKET on the S3 API at ENDPOINT (moto) and puts FILE as PREFIX1..PREFIXCOUNT,
      signed with S3_ACCESS_KEY / S3_SECRET_KEY from the environment.
  bench.py object FILE BYTES
      FILE: BYTES random bytes (the origin tier's object).
  bench.py snapshot agentcache|varnish URL_OR_DIR FILE
      the counters a round is checked with, as JSON (agentcache: /metrics; varnish: varnishstat).
  bench.py check BEFORE AFTER EXPECT
      the counters' change over a round, checked against EXPECT, printed as the round's hit
      ratio (or '-'); exits 1 when EXPECT does not hold. EXPECT: hit:<tier> (every get a hit
      of that tier), origin-hit (no origin fetch), varnish-hit (no Varnish miss), ratio (any).
  bench.py report RESULTS.tsv SCENARIOS.tsv OUT_BASENAME
      OUT_BASENAME.json (machine, settings, every round, medians, ratios), OUT_BASENAME.png
      (gnuplot: req/s and p99 per scenario and target), and the markdown table on stdout.

The JSON: {date, commit, command, machine: {nproc, cpu, kernel, memory_gib, swift, varnish,
nginx, redis, wrk, load_average_at_end}, settings: {DURATION, ROUNDS, ...}, notes: [...],
headline: {edge_1k_rps_over_varnish, edge_1k_p99_over_varnish, redis_hit_rps_over_edge_1k,
redis_hit_rps_over_edge_same_config}, scenarios: [{name, description, reference, targets:
[{name, description, rounds: [{round, rps, p50_ms, p99_ms, requests, hit_ratio}], rps, p50_ms,
p99_ms, hit_ratio: {median, min, max} (hit_ratio null when not measured), ratio_to_reference:
{reference, rps, p99, rps_per_round} or null}]}]}. Ratios are of medians; rps_per_round pairs
the interleaved rounds.
"""
import base64
import concurrent.futures
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from datetime import datetime, timezone

SENTENCE = ("To rotate the key without downtime, create a second key, roll it out to each service, "
            "then revoke the old one. ")
SYSTEM = ("You are a concise support assistant for Acme Cloud. Answer in plain English, cite the relevant "
          "docs page, and never invent prices.")


def get_body(index, namespace):
    return json.dumps({
        "namespace": namespace, "provider": "openai", "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Question {index}: how do I rotate the API key for my production project "
                                        "without downtime? We have three services using the same key."},
        ],
        "temperature": 0.2, "params": {"max_tokens": 512, "top_p": 1},
    }, separators=(",", ":"))


def value_json(size, kind, seed):
    if kind == "json":
        head = ('{"id":"chatcmpl-bench","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,'
                '"message":{"role":"assistant","content":"')
        tail = ('"},"finish_reason":"stop"}],"usage":{"prompt_tokens":96,"completion_tokens":180,'
                '"total_tokens":276}}')
        filler = SENTENCE
    elif kind == "random":
        head, tail = '{"id":"bench-random","data":"', '"}'
        rng = random.Random(seed)
        filler = base64.b64encode(rng.randbytes(size)).decode()
    else:
        sys.exit(f"bench.py: unknown value kind {kind}")
    room = size - len(head) - len(tail)
    if room < 0:
        sys.exit(f"bench.py: a {kind} value needs at least {len(head) + len(tail)} bytes")
    content = (filler * (room // len(filler) + 1))[:room]
    value = head + content + tail
    assert len(value) == size
    json.loads(value)
    return value


def command_gen(args):
    directory = args[0]
    options = dict(zip(args[1::2], args[2::2]))
    count = int(options["--count"])
    namespace = options.get("--namespace", "bench")
    value = value_json(int(options["--value-bytes"]), options["--kind"], 42)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "value.json"), "w") as out:
        out.write(value)
    with open(os.path.join(directory, "bodies.txt"), "w") as gets, open(os.path.join(directory, "sets.txt"), "w") as sets:
        for index in range(1, count + 1):
            body = get_body(index, namespace)
            gets.write(body + "\n")
            sets.write(body[:-1] + ',"response":' + value + "}\n")


def is_warm(index, fraction):
    """Key `index` (1-based) is in the warmed fraction: a golden-ratio scatter, so F warms F of
    the keys spread evenly over the Zipf ranks, not the F most popular ones."""
    return fraction >= 1 or (index * 0.6180339887498949) % 1 < fraction


def command_warm(args):
    url = urllib.parse.urlsplit(args[0])
    options = dict(zip(args[1::2], args[2::2]))
    keys = [line.strip() for line in open(options["--keys"]) if line.strip()] if "--keys" in options else []

    def key_header(index):
        return {"X-API-Key": keys[index % len(keys)]} if keys else {}
    if "--get" in options:
        jobs = [("GET", f"{options['--get']}{index}", None, key_header(index))
                for index in range(1, int(options["--count"]) + 1)]
    else:
        fraction = float(options.get("--fraction", "1"))
        jobs = []
        for index, line in enumerate(open(options["--sets"]), start=1):
            if is_warm(index, fraction):
                headers = {"Content-Type": "application/json", **key_header(index)}
                jobs.append(("POST", "/api/cache/set", line.rstrip("\n").encode(), headers))
    local = threading.local()

    def send(job):
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        method, path, body, headers = job
        local.connection.request(method, path, body=body, headers=headers)
        response = local.connection.getresponse()
        text = response.read()
        if not 200 <= response.status < 300:
            raise SystemExit(f"warm-up {method} {path} answered {response.status}: {text[:300]!r}")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for _ in pool.map(send, jobs):
            pass
    print(len(jobs))


def command_object(args):
    path, size = args[0], int(args[1])
    with open(path, "wb") as out:
        out.write(random.Random(7).randbytes(size))


def command_s3_put(args):
    import boto3  # comes with moto[server]
    endpoint, bucket, prefix, count, path = args
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=os.environ["S3_ACCESS_KEY"],
                          aws_secret_access_key=os.environ["S3_SECRET_KEY"])
    client.create_bucket(Bucket=bucket)
    body = open(path, "rb").read()
    for index in range(1, int(count) + 1):
        client.put_object(Bucket=bucket, Key=f"{prefix}{index}", Body=body, ContentType="application/octet-stream")


def agentcache_counters(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    counters = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        if name.startswith(("agentcache_cache_", "agentcache_origin_fetches_total", "agentcache_http_requests_total",
                            "agentcache_edge_", "agentcache_rate_limited_total")):
            counters[name] = float(value)
    return counters


def varnish_counters(directory):
    output = subprocess.run(["varnishstat", "-n", directory, "-1", "-f", "MAIN.cache_hit", "-f", "MAIN.cache_miss",
                             "-f", "MAIN.client_req"], check=True, capture_output=True, text=True).stdout
    return {line.split()[0]: float(line.split()[1]) for line in output.splitlines() if line.strip()}


def command_snapshot(args):
    kind, where, path = args
    counters = agentcache_counters(where) if kind == "agentcache" else varnish_counters(where)
    with open(path, "w") as out:
        json.dump(counters, out)


def summed(counters, prefix, **labels):
    total = 0.0
    for name, value in counters.items():
        if name.startswith(prefix) and all(f'{key}="{wanted}"' in name for key, wanted in labels.items()):
            total += value
    return total


def command_check(args):
    before, after = (json.load(open(path)) for path in args[:2])
    expect = args[2]
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    if expect == "varnish-hit":
        hits, misses = delta.get("MAIN.cache_hit", 0), delta.get("MAIN.cache_miss", 0)
        if misses or not hits:
            sys.exit(f"Varnish counted {misses:.0f} misses and {hits:.0f} hits in the round: not hit-only")
        print("1.0000")
        return
    hits = summed(delta, "agentcache_cache_hits_total")
    gets = summed(delta, "agentcache_http_requests_total", route="/api/cache/get")
    limited = delta.get("agentcache_rate_limited_total", 0)
    if limited:
        sys.exit(f"agentcache rate-limited {limited:.0f} requests in the round")
    if expect.startswith("hit:"):
        tier = expect[4:]
        tier_hits = summed(delta, "agentcache_cache_hits_total", tier=tier)
        if not gets or tier_hits != gets:
            sys.exit(f"{gets:.0f} gets, {tier_hits:.0f} of them {tier} hits ({hits:.0f} hits in all): not {tier}-hit only")
        print("1.0000")
    elif expect == "origin-hit":
        fetches = summed(delta, "agentcache_origin_fetches_total")
        if fetches:
            sys.exit(f"{fetches:.0f} origin fetches in the round: not hit-only")
        print("-")
    elif expect == "ratio":
        print(f"{hits / gets:.4f}" if gets else "-")
    else:
        sys.exit(f"bench.py: unknown expectation {expect}")


def machine():
    def run(*command):
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60)
            return (result.stdout or result.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None
    cpu = None
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "swift": run("swift", "--version"), "varnish": run("varnishd", "-V"), "nginx": run("nginx", "-v"),
        "redis": run("redis-server", "--version"), "wrk": run("wrk", "-v"),
        "load_average_at_end": os.getloadavg(),
    }


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def command_report(args):
    results_path, scenarios_path, base = args
    scenarios = []   # (scenario, description, reference target, note)
    targets = {}     # (scenario, target) -> {"description", "rounds": [...]}
    for line in open(scenarios_path):
        kind, scenario, target, text = line.rstrip("\n").split("\t")
        if kind == "scenario":
            scenarios.append({"name": scenario, "reference": target or None, "description": text, "targets": []})
        else:
            entry = {"name": target, "description": text, "rounds": []}
            targets[(scenario, target)] = entry
            next(s for s in scenarios if s["name"] == scenario)["targets"].append(entry)
    for line in open(results_path):
        scenario, target, round_number, rps, p50, p99, requests, hit_ratio = line.split()
        targets[(scenario, target)]["rounds"].append({
            "round": int(round_number), "rps": float(rps), "p50_ms": float(p50), "p99_ms": float(p99),
            "requests": int(requests), "hit_ratio": None if hit_ratio == "-" else float(hit_ratio),
        })
    for scenario in scenarios:
        scenario["targets"] = [t for t in scenario["targets"] if t["rounds"]]
        for target in scenario["targets"]:
            rounds = target["rounds"]
            target["rps"] = spread([r["rps"] for r in rounds])
            target["p50_ms"] = spread([r["p50_ms"] for r in rounds])
            target["p99_ms"] = spread([r["p99_ms"] for r in rounds])
            ratios = [r["hit_ratio"] for r in rounds if r["hit_ratio"] is not None]
            target["hit_ratio"] = spread(ratios) if ratios else None
        reference = next((t for t in scenario["targets"] if t["name"] == scenario["reference"]), None)
        for target in scenario["targets"]:
            if reference is None or target is reference:
                target["ratio_to_reference"] = None
                continue
            target["ratio_to_reference"] = {
                "reference": reference["name"],
                "rps": target["rps"]["median"] / reference["rps"]["median"],
                "p99": target["p99_ms"]["median"] / reference["p99_ms"]["median"],
                # Interleaved rounds: round i of each target ran back to back.
                "rps_per_round": [a["rps"] / b["rps"] for a, b in zip(target["rounds"], reference["rounds"])],
            }
    scenarios = [s for s in scenarios if s["targets"]]

    def find(scenario, target):
        for s in scenarios:
            for t in s["targets"]:
                if s["name"] == scenario and t["name"] == target:
                    return t
        return None
    headline = {}
    edge, varnish = find("edge-1k", "agentcache"), find("edge-1k", "varnish")
    if edge and varnish:
        headline["edge_1k_rps_over_varnish"] = edge["rps"]["median"] / varnish["rps"]["median"]
        headline["edge_1k_p99_over_varnish"] = edge["p99_ms"]["median"] / varnish["p99_ms"]["median"]
    redis = find("redis-1k", "redis-hit")
    if redis and edge:
        headline["redis_hit_rps_over_edge_1k"] = redis["rps"]["median"] / edge["rps"]["median"]
    redis_edge = find("redis-1k", "edge-hit")
    if redis and redis_edge:
        headline["redis_hit_rps_over_edge_same_config"] = redis["rps"]["median"] / redis_edge["rps"]["median"]

    settings = {name: os.environ.get(name) for name in (
        "DURATION", "WARMUP", "ROUNDS", "THREADS", "CONNECTIONS", "KEYS", "MIX_KEYS", "API_KEYS", "AUTH", "ZIPF",
        "HIT_RATIO", "INVALIDATE_MS", "OBJECTS",
        "WRK_CPUS", "SERVER_CPUS", "QUICK")}
    document = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": os.environ.get("BENCH_COMMIT"),
        "command": os.environ.get("BENCH_COMMAND"),
        "machine": machine(), "settings": settings,
        "notes": os.environ.get("BENCH_NOTES", "").split("\n"),
        "headline": headline, "scenarios": scenarios,
    }
    with open(base + ".json", "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")

    # The markdown table.
    def span(s, digits):
        return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"
    lines = ["| scenario | target | req/s median (min–max) | p50 ms | p99 ms median (min–max) | hit ratio | req/s ÷ ref | p99 ÷ ref |",
             "|---|---|---|---|---|---|---|---|"]
    for scenario in scenarios:
        for target in scenario["targets"]:
            ratio = target["ratio_to_reference"]
            hit = target["hit_ratio"]
            lines.append("| " + " | ".join([
                scenario["name"], target["name"] + (" (ref)" if target["name"] == scenario["reference"] else ""),
                span(target["rps"], 0), f"{target['p50_ms']['median']:.2f}", span(target["p99_ms"], 2),
                f"{hit['median']:.3f}" if hit else "–",
                f"{ratio['rps']:.2f}" if ratio else "–", f"{ratio['p99']:.2f}" if ratio else "–",
            ]) + " |")
    print("\n".join(lines))
    print()
    for name, value in headline.items():
        print(f"{name}: {value:.3f}")

    # The chart: two panels, bars at the median with min–max error bars.
    data = base + ".dat"
    with open(data, "w") as out:
        for scenario in scenarios:
            for target in scenario["targets"]:
                out.write(f'"{scenario["name"]}\\n{target["name"]}" {target["rps"]["median"]} {target["rps"]["min"]} '
                          f'{target["rps"]["max"]} {target["p99_ms"]["median"]} {target["p99_ms"]["min"]} '
                          f'{target["p99_ms"]["max"]}\n')
    count = sum(len(s["targets"]) for s in scenarios)
    script = f"""
set terminal pngcairo size {max(900, 115 * count)},1000 font ",9"
set output "{base}.png"
set multiplot layout 2,1 title "AgentCache vs Varnish, {document['date']} ({document['machine']['nproc']} cores, wrk on the same machine)"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6 border -1
set boxwidth 0.8
set grid ytics
set key off
set xtics font ",8"
set bmargin 4
set logscale y
set ylabel "req/s (median, min-max)"
plot "{data}" using 2:3:4:xtic(1) lc rgb "#3070b0"
set ylabel "p99 ms (median, min-max)"
plot "{data}" using 5:6:7:xtic(1) lc rgb "#c05030"
unset multiplot
"""
    result = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    os.remove(data)
    if result.returncode != 0:
        sys.exit("gnuplot failed: " + result.stderr)


def main():
    commands = {"gen": command_gen, "warm": command_warm, "s3-put": command_s3_put, "object": command_object, "snapshot": command_snapshot, "check": command_check,
                "report": command_report}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()

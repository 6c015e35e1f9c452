#!/usr/bin/env python3
"""Helpers of scripts/dashboard-check (standard library only).

  traffic URL [--key KEY] [--seconds S] [--rounds N]
      sets 40 chat answers, then gets drawn from 50 prompts (40 stored: hits, 10 never stored:
      misses) until S seconds or N rounds of 50 gets have passed; prints "hits misses".
  dom FILE [--keys]
      asserts the dashboard's rendered DOM (chromium --dump-dom) shows non-zero hits, a hit
      ratio and tokens and dollars saved; with --keys also the API-key prompt, without it the
      open-mode tenant view with its hits and tokens saved.
  rules GRAFANA_JSON OUT_YML
      writes every PromQL expression of the Grafana dashboard as a recording rule, Grafana's
      variables replaced, so `promtool check rules` parses them all.
  names METRICS_TEXT FILE...
      asserts every agentcache_* metric the files name is exported by /metrics (METRICS_TEXT).
"""
import html.parser
import http.client
import json
import re
import sys
import time
import urllib.parse

def fail(message):
    print(f"dashboard-check: {message}", file=sys.stderr)
    sys.exit(1)


def traffic(url, key, seconds, rounds):
    target = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    headers = {"Content-Type": "application/json", "X-Cache-Namespace": "dashboard"}
    if key:
        headers["X-API-Key"] = key

    def call(path, body):
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        if answer.status != 200:
            fail(f"POST {path} answered {answer.status}: {data[:200]!r}")
        return json.loads(data)

    def chat(i):
        return {"provider": "openai", "model": "gpt-4o",
                "messages": [{"role": "user", "content": f"dashboard question {i}"}]}

    for i in range(40):
        answer = {"id": f"chatcmpl-{i}", "model": "gpt-4o",
                  "choices": [{"message": {"role": "assistant", "content": f"answer {i}"}}],
                  "usage": {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}}
        call("/api/cache/set", {**chat(i), "response": answer, "ttl": 3600})
    hits = misses = 0
    started = time.monotonic()
    done = 0
    while done < rounds or time.monotonic() - started < seconds:
        for i in range(50):
            if call("/api/cache/get", chat((i * 7 + done) % 50))["hit"]:
                hits += 1
            else:
                misses += 1
        done += 1
    print(hits, misses)


class Elements(html.parser.HTMLParser):
    """Each element's attributes and direct text, by id."""

    def __init__(self):
        super().__init__()
        self.by_id = {}
        self.stack = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        entry = {"tag": tag, "attrs": attributes, "text": ""}
        if "id" in attributes:
            self.by_id[attributes["id"]] = entry
        if tag not in ("input", "meta", "br", "img", "link", "path", "line"):
            self.stack.append(entry)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack:
            self.stack[-1]["text"] += data


def dom(path, keys):
    parser = Elements()
    with open(path, encoding="utf-8") as file:
        parser.feed(file.read())
    found = parser.by_id

    def element(name):
        if name not in found:
            fail(f"the rendered dashboard has no #{name} ({path})")
        return found[name]

    hits = element("hits-total")
    if not float(hits["attrs"].get("data-value") or 0) > 0:
        fail(f"the dashboard shows no hits: #hits-total is {hits['text']!r} ({path})")
    ratio = element("hit-ratio")
    if not re.fullmatch(r"\d+(\.\d)?%", ratio["text"].strip()) or not 0 < float(ratio["attrs"].get("data-value") or 0) <= 1:
        fail(f"the dashboard shows no hit ratio: #hit-ratio is {ratio['text']!r} ({path})")
    if "ok" not in element("live")["attrs"].get("class", ""):
        fail(f"the dashboard's summary poll failed: {element('status')['text']!r} ({path})")
    if element("req-rate")["text"].strip() in ("", "—"):
        fail(f"the dashboard drew no request rate: only one poll ran ({path})")
    # The traffic's answers carry OpenAI usage (13 tokens of gpt-4o), so hits save tokens and dollars.
    if element("tokens-saved")["text"].strip() in ("", "—", "0"):
        fail(f"the dashboard shows no tokens saved: #tokens-saved is {element('tokens-saved')['text']!r} ({path})")
    if element("cost-saved")["text"].strip() in ("", "—", "$0.0000"):
        fail(f"the dashboard shows no dollars saved: #cost-saved is {element('cost-saved')['text']!r} ({path})")
    if keys:
        if "hidden" in element("key-card")["attrs"]:
            fail(f"API keys are on but the dashboard does not ask for a key ({path})")
    else:
        tenant = element("tenant-card")
        if "hidden" in tenant["attrs"] or not float(element("tenant-hits")["attrs"].get("data-value") or 0) > 0:
            fail(f"open mode: the tenant view (/api/stats) shows no hits ({path})")
        if element("tenant-tokens")["text"].strip() in ("", "—", "0"):
            fail(f"open mode: the tenant view (/api/stats) shows no tokens saved ({path})")
    print(f"dashboard shows {hits['text']} hits, hit ratio {ratio['text']}, {element('req-rate')['text']}")


def rules(grafana, out):
    with open(grafana, encoding="utf-8") as file:
        board = json.load(file)
    expressions = []

    def walk(panels):
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                expressions.append((panel["title"], target["expr"]))

    walk(board["panels"])
    if not expressions:
        fail(f"{grafana} has no PromQL targets")
    replace = {"$__rate_interval": "1m", "$__range": "1h", "$__interval": "15s", "$instance": ".*"}
    with open(out, "w", encoding="utf-8") as file:
        file.write("groups:\n  - name: grafana-panels\n    rules:\n")
        for i, (title, expression) in enumerate(expressions):
            for variable, value in replace.items():
                expression = expression.replace(variable, value)
            if "$" in expression:
                fail(f"panel {title!r} uses a variable this check does not know: {expression}")
            file.write(f"      - record: grafana:panel_{i}\n        expr: {json.dumps(expression)}\n")
    print(f"{len(expressions)} Grafana expressions")


def names(metrics_text, files):
    exported = set()
    with open(metrics_text, encoding="utf-8") as file:
        for line in file:
            match = re.match(r"# TYPE (\S+) (\S+)", line)
            if match:
                name, kind = match.groups()
                exported.add(name)
                if kind == "histogram":
                    exported.update({name + "_bucket", name + "_sum", name + "_count"})
    for path in files:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        named = set(re.findall(r"\bagentcache_[a-z0-9_]+", text))
        missing = sorted(named - exported)
        if missing:
            fail(f"{path} names metrics /metrics does not export: {', '.join(missing)}")
        print(f"{path}: {len(named)} metric names, all exported")


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    command, rest = argv[1], argv[2:]
    if command == "traffic":
        key, seconds, rounds = None, 0.0, 1
        url = rest[0]
        options = rest[1:]
        while options:
            flag, value, options = options[0], options[1], options[2:]
            if flag == "--key":
                key = value
            elif flag == "--seconds":
                seconds = float(value)
            elif flag == "--rounds":
                rounds = int(value)
            else:
                fail(f"traffic: unknown option {flag}")
        traffic(url, key, seconds, rounds)
    elif command == "dom":
        dom(rest[0], "--keys" in rest[1:])
    elif command == "rules":
        rules(rest[0], rest[1])
    elif command == "names":
        names(rest[0], rest[1:])
    else:
        fail(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)

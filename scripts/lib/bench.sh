# Shared by scripts/bench-*: settings, scratch dir, free ports, readiness, the chat fixtures,
# and one wrk run. Source it after setting NAME (used in messages) and ROOT.
# Environment: QUICK=1, DURATION, WARMUP, ROUNDS, THREADS, CONNECTIONS (see scripts/bench-wrk).

QUICK="${QUICK:-0}"
if [[ "$QUICK" == "1" ]]; then
    DURATION="${DURATION:-3}"
    WARMUP="${WARMUP:-1}"
else
    DURATION="${DURATION:-10}"
    WARMUP="${WARMUP:-2}"
fi
ROUNDS="${ROUNDS:-3}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
SKIP_BUILD="${SKIP_BUILD:-0}"
SCRATCH_PATH="${SCRATCH_PATH:-$ROOT/.build-bench}"
HOST=127.0.0.1

for n in DURATION WARMUP ROUNDS THREADS CONNECTIONS; do
    if ! [[ "${!n}" =~ ^[0-9]+$ ]]; then
        echo "$NAME: $n must be a whole number, got '${!n}'" >&2
        exit 2
    fi
done
if (( DURATION < 1 || ROUNDS < 1 || THREADS < 1 || CONNECTIONS < THREADS )); then
    echo "$NAME: need DURATION >= 1, ROUNDS >= 1, THREADS >= 1 and CONNECTIONS >= THREADS" >&2
    exit 2
fi
for tool in wrk curl swift; do
    command -v "$tool" >/dev/null || { echo "$NAME: '$tool' is not installed (wrk and curl: apt-get install wrk curl)" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-wrk.XXXXXX")"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# A port nobody listens on: try random high ports until a connect to one is refused.
free_port() {
    local port attempt
    for attempt in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "$NAME: found no free port on $HOST" >&2
    return 1
}

# Polls until `url` answers (any HTTP status) or the process dies / 30 s pass.
wait_ready() {
    local url="$1" pid="$2" name="$3" attempt
    for attempt in $(seq 1 300); do
        if curl -s -o /dev/null -X POST "$url" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$NAME: $name exited during startup; its log:" >&2
            cat "$WORK/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "$NAME: $name did not answer on $url within 30 s" >&2
    exit 1
}

# write_chat_fixtures: $WORK/get.json (a ~600-byte chat lookup), $WORK/answer.json (a 1024-byte
# chat-completion answer) and $WORK/set.json (the get body plus "response": the answer).
write_chat_fixtures() {
    # The request every get sends: a typical ~600-byte chat lookup.
    cat >"$WORK/get.json" <<'JSON'
{"namespace":"bench","provider":"openai","model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a concise support assistant for Acme Cloud. Answer in plain English, cite the relevant docs page, and never invent prices."},{"role":"user","content":"How do I rotate the API key for my production project without downtime? We have three services using the same key and a cron job that runs every five minutes."}],"temperature":0.2,"params":{"max_tokens":512,"top_p":1}}
JSON

    # The stored answer: a chat-completion JSON object of exactly 1024 bytes.
    head='{"id":"chatcmpl-bench","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"'
    tail='"},"finish_reason":"stop"}],"usage":{"prompt_tokens":96,"completion_tokens":180,"total_tokens":276}}'
    sentence='To rotate the key without downtime, create a second key, roll it out to each service, then revoke the old one. '
    content=""
    while (( ${#head} + ${#content} + ${#tail} < 1024 )); do content+="$sentence"; done
    content="${content:0:$(( 1024 - ${#head} - ${#tail} ))}"
    answer="$head$content$tail"
    (( ${#answer} == 1024 )) || { echo "$NAME: built a ${#answer}-byte answer, expected 1024" >&2; exit 1; }
    printf '%s' "${answer}" >"$WORK/answer.json"
    # set body = get body + "response": the answer (spliced in before the closing brace).
    { head -c -2 "$WORK/get.json"; printf ',"response":'; cat "$WORK/answer.json"; printf '}'; } >"$WORK/set.json"

}

# write_wrk_script: $WORK/post.lua, POSTing $WORK/get.json.
write_wrk_script() {
    # The body is read from a file so no quoting of the JSON into Lua is needed. done() prints one
    # machine-readable line: req/s, p99 in ms, socket errors, non-2xx responses.
    cat >"$WORK/post.lua" <<LUA
local file = assert(io.open("$WORK/get.json", "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT %.1f %.3f %d %d\n",
        summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000, errors, summary.errors.status))
end
LUA

}

# run_wrk URL SECONDS -> prints "req/s p99_ms"; fails on any error or non-2xx response.
run_wrk() {
    local url="$1" seconds="$2" output result
    output="$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --latency -s "$WORK/post.lua" "$url")"
    result="$(grep '^RESULT ' <<<"$output" | tail -1)"
    read -r _ rps p99 errors non2xx <<<"$result"
    if [[ -z "$result" || "$errors" != "0" || "$non2xx" != "0" ]]; then
        echo "$NAME: wrk against $url reported errors ($errors socket, $non2xx non-2xx):" >&2
        echo "$output" >&2
        exit 1
    fi
    echo "$rps $p99"
}


# median VALUES... -> the median of the numbers given.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

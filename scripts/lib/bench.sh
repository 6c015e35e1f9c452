# Shared by scripts/bench: settings, the scratch dir and the processes it owns, free ports,
# readiness, and wrk runs of scripts/lib/bench.lua. Source it after setting NAME (used in
# messages) and ROOT. Environment: see scripts/bench.

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
WRK_CPUS="${WRK_CPUS:-}"
SERVER_CPUS="${SERVER_CPUS:-}"
HOST=127.0.0.1
LUA="$ROOT/scripts/lib/bench.lua"
PY="$ROOT/scripts/lib/bench.py"

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

# wrk and the servers optionally pinned with taskset (CPU lists such as "1" or "0-1").
WRK_PREFIX=()
SERVER_PREFIX=()
[[ -n "$WRK_CPUS" ]] && WRK_PREFIX=(taskset -c "$WRK_CPUS")
[[ -n "$SERVER_CPUS" ]] && SERVER_PREFIX=(taskset -c "$SERVER_CPUS")

# The scratch dir is world-readable: Varnish's worker and nginx's workers run as other users.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench.XXXXXX")"
chmod 755 "$WORK"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -CONT "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND... : runs COMMAND in the background (pinned with SERVER_CPUS), logging to
# $WORK/NAME.log, and remembers its pid for cleanup; $! is its pid afterwards.
start() {
    local name="$1"
    shift
    "${SERVER_PREFIX[@]}" "$@" >"$WORK/$name.log" 2>&1 &
    PIDS+=("$!")
}

# A port nobody listens on: try random ports until a connect to one is refused. They are taken
# below the kernel's ephemeral range, where an outgoing connection's local port can make a
# bind fail although nothing listens.
EPHEMERAL_LOW="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
free_port() {
    local port attempt
    for attempt in $(seq 1 200); do
        port=$(( 10000 + RANDOM % (EPHEMERAL_LOW - 10000) ))
        if ! (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "$NAME: found no free port on $HOST" >&2
    return 1
}

# wait_ready URL PID NAME: polls until URL answers (any HTTP status) or the process dies / 30 s pass.
wait_ready() {
    local url="$1" pid="$2" name="$3" attempt
    for attempt in $(seq 1 300); do
        if curl -s -o /dev/null "$url" 2>/dev/null; then return 0; fi
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

# run_wrk URL SECONDS LUA_ARGS... -> prints "req/s p50_ms p99_ms requests"; fails loudly on any
# socket error or answer with a status above 399 (what wrk counts as non-2xx).
run_wrk() {
    local url="$1" seconds="$2" output result
    shift 2
    output="$("${WRK_PREFIX[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --latency -s "$LUA" "$url" -- "$@" 2>&1)" || true
    result="$(grep '^RESULT ' <<<"$output" | tail -1)" || true
    read -r _ rps p50 p99 errors non2xx requests <<<"$result"
    if [[ -z "$result" || "$errors" != "0" || "$non2xx" != "0" ]]; then
        echo "$NAME: wrk against $url ($*) reported errors (${errors:-?} socket, ${non2xx:-?} non-2xx):" >&2
        echo "$output" >&2
        exit 1
    fi
    echo "$rps $p50 $p99 $requests"
}

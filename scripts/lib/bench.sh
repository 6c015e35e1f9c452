# Shared by scripts/bench and scripts/faults: settings, the scratch dir and the processes it
# owns, free ports, readiness, the release build, agentcache nodes with API keys, redis-server
# and moto, and wrk runs of scripts/lib/bench.lua. Source it after setting NAME (used in
# messages and the scratch dir's name) and ROOT. Environment: see scripts/bench.

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
WORK="$(mktemp -d "${TMPDIR:-/tmp}/$NAME.XXXXXX")"
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

# wrk_result URL SECONDS LUA_ARGS... -> prints "req/s p50_ms p99_ms socket_errors non_2xx
# requests" (bench.lua's RESULT line, THREADS threads, CONNECTIONS connections), or nothing
# when wrk printed no result; wrk's whole output goes to WRK_OUT (default $WORK/wrk.out).
wrk_result() {
    local url="$1" seconds="$2" output result
    shift 2
    output="$("${WRK_PREFIX[@]}" wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --latency -s "$LUA" "$url" -- "$@" 2>&1)" || true
    echo "$output" >"${WRK_OUT:-$WORK/wrk.out}"
    result="$(grep '^RESULT ' <<<"$output" | tail -1)" || true
    [[ -n "$result" ]] && echo "${result#RESULT }"
    return 0
}

# run_wrk URL SECONDS LUA_ARGS... -> prints "req/s p50_ms p99_ms requests"; fails loudly on any
# socket error or answer with a status above 399 (what wrk counts as non-2xx).
run_wrk() {
    local url="$1" seconds="$2" result
    shift 2
    result="$(wrk_result "$url" "$seconds" "$@")"
    read -r rps p50 p99 errors non2xx requests <<<"$result"
    if [[ -z "$result" || "$errors" != "0" || "$non2xx" != "0" ]]; then
        echo "$NAME: wrk against $url ($*) reported errors (${errors:-?} socket, ${non2xx:-?} non-2xx):" >&2
        cat "${WRK_OUT:-$WORK/wrk.out}" >&2
        exit 1
    fi
    echo "$rps $p50 $p99 $requests"
}

# build_agentcache: the release build in SCRATCH_PATH (unless SKIP_BUILD=1); sets AGENTCACHE.
build_agentcache() {
    if [[ "$SKIP_BUILD" != "1" ]]; then
        echo "== building agentcache (release, scratch $SCRATCH_PATH)"
        (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH_PATH" --product agentcache)
    fi
    AGENTCACHE="$SCRATCH_PATH/release/agentcache"
    [[ -x "$AGENTCACHE" ]] || { echo "$NAME: $AGENTCACHE is missing (run without SKIP_BUILD=1)" >&2; exit 1; }
}

ADMIN_TOKEN="$NAME-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
AUTH="${AUTH:-keys}"
API_KEYS="${API_KEYS:-128}"

# node NAME FLAGS... : an agentcache node with API keys on, started once; sets URL_<NAME> and
# PID_<NAME> and writes API_KEYS enterprise keys of tenant bench_bench to $WORK/NAME.keys
# (AUTH=open: no admin token, open mode, no keys).
node() {
    local name="$1" port answer i
    shift
    [[ -n "$(eval echo "\${URL_$name:-}")" ]] && return 0
    port="$(free_port)"
    local -a auth=(--admin-token "$ADMIN_TOKEN")
    [[ "$AUTH" == open ]] && auth=()
    start "$name" "$AGENTCACHE" serve --host "$HOST" --port "$port" --data-dir "$WORK/$name-data" \
        "${auth[@]}" --log-level warning "$@"
    printf -v "PID_$name" '%s' "$!"
    wait_ready "http://$HOST:$port/health" "$!" "$name"
    printf -v "URL_$name" '%s' "http://$HOST:$port"
    : >"$WORK/$name.keys"
    [[ "$AUTH" == open ]] && { echo "== agentcache $name on port $port ($*): open mode, no API keys"; return 0; }
    for i in $(seq 1 "$API_KEYS"); do
        answer="$(curl -sf -X POST "http://$HOST:$port/api/provision" -H "Authorization: Bearer $ADMIN_TOKEN" \
            -H 'Content-Type: application/json' \
            -d '{"user_id":"bench","integration":"bench","project_id":"bench","tier":"enterprise"}')" \
            || { echo "$NAME: provisioning an API key on $name failed" >&2; exit 1; }
        sed -n 's/.*"api_key":"\([^"]*\)".*/\1/p' <<<"$answer" >>"$WORK/$name.keys"
    done
    echo "== agentcache $name on port $port ($*): $API_KEYS enterprise keys"
}

# key_header NODE: curl's arguments for the first API key of NODE (none in open mode).
key_header() {
    [[ -s "$WORK/$1.keys" ]] && echo "-H X-API-Key:$(head -1 "$WORK/$1.keys")"
    return 0
}

# api_args NODE DIR: the Lua arguments of the real API against NODE with DIR's key set.
api_args() {
    echo "mode=api bodies=$2/bodies.txt sets=$2/sets.txt keys=$WORK/$1.keys zipf=${ZIPF:-1.0}"
}

# keyset NAME COUNT VALUE_BYTES KIND: generates $WORK/NAME (bodies.txt, sets.txt, value.json)
# in namespace bench-NAME.
keyset() {
    "$PY" gen "$WORK/$1" --count "$2" --value-bytes "$3" --kind "$4" --namespace "bench-$1"
}

# redis: one redis-server on a free port, started once (REDIS_PORT, REDIS_PID), with the
# persistence flags of REDIS_PERSISTENCE (default none: --save '' --appendonly no).
# redis_start starts it (again) on REDIS_PORT, e.g. after a kill.
REDIS_PERSISTENCE=(--save '' --appendonly no)
redis() {
    [[ -n "${REDIS_PORT:-}" ]] && return 0
    REDIS_PORT="$(free_port)"
    redis_start
    echo "== redis-server on port $REDIS_PORT (${REDIS_PERSISTENCE[*]})"
}
redis_start() {
    start redis redis-server --port "$REDIS_PORT" --bind "$HOST" "${REDIS_PERSISTENCE[@]}" --dir "$WORK"
    REDIS_PID="$!"
    for _ in $(seq 1 100); do
        redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    echo "$NAME: redis-server did not answer PING on port $REDIS_PORT within 5 s" >&2
    exit 1
}

# The origin's credentials: moto accepts any; these are the tests' (S3TestClient).
export S3_ACCESS_KEY=AKIAIOSFODNN7EXAMPLE S3_SECRET_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

# moto: moto's S3 server on a free port, started once (MOTO_URL, MOTO_PID); an empty MOTO_URL
# starts a new one (its buckets are in memory).
moto() {
    [[ -n "${MOTO_URL:-}" ]] && return 0
    local port
    port="$(free_port)"
    start moto python3 -m moto.server -H "$HOST" -p "$port"
    MOTO_PID="$!"
    wait_ready "http://$HOST:$port/" "$MOTO_PID" moto
    MOTO_URL="http://$HOST:$port"
    echo "== moto (S3) on port $port"
}

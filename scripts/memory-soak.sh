#!/usr/bin/env bash
# The coordinator's resident memory under a battery of malformed and large requests: makes a
# fresh fleet on loopback, starts `coordinator serve`, sends REQUESTS requests, CONCURRENCY at a
# time, printing the coordinator's RSS every 500 requests, then once more after an idle pause.
#
#   scripts/memory-soak.sh [REQUESTS (default 5000)] [CONCURRENCY (default 8)]
#   scripts/memory-soak.sh --agents N [MINUTES (default 5)]
#
# The second form is the steady state instead: N agents heartbeating every second and a task
# across them every 30 s, RSS printed every 30 s.
#
# Environment: BIN (default .build/debug; .build-release/dist for the release build), IDLE
# (seconds of quiet before the last reading, default 20). Everything else in the environment
# reaches the coordinator, so allocator settings compare directly:
#   MALLOC_ARENA_MAX=2 scripts/memory-soak.sh
#   SHOAL_MALLOC_TUNING=off scripts/memory-soak.sh   # glibc defaults: no arena cap, no trimming
# Needs curl and openssl. Removes its temporary directory at the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
agents=0
if [ "${1:-}" = "--agents" ]; then
    agents="${2:?--agents needs a number}"
    minutes="${3:-5}"
else
    requests="${1:-5000}"
    concurrency="${2:-8}"
fi
bin="${BIN:-.build/debug}"
idle="${IDLE:-20}"
[ -x "$bin/coordinator" ] || { echo "memory-soak.sh: no $bin/coordinator; swift build first" >&2; exit 1; }

work="$(mktemp -d /tmp/shoal-soak-XXXXXX)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    [ "${KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18443)
url="https://127.0.0.1:$port"
"$bin/coordinator" init --data-dir "$work/data" --advertise "$url" --listen "127.0.0.1:$port" >/dev/null
"$bin/coordinator" serve --data-dir "$work/data" >"$work/coordinator.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "coordinator listening" "$work/coordinator.log" && break; sleep 0.2; done
grep -q "coordinator listening" "$work/coordinator.log" || { cat "$work/coordinator.log" >&2; exit 1; }

rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

if [ "$agents" -gt 0 ]; then
    agent_pids=()
    stop_agents() { for agent in "${agent_pids[@]}"; do kill "$agent" 2>/dev/null || true; done; wait "${agent_pids[@]}" 2>/dev/null || true; }
    trap 'stop_agents; cleanup' EXIT
    export SHOAL_DATA_DIR="$work/data"
    token=$("$bin/coordinator" token create --uses "$agents" --ttl 10m)
    for i in $(seq "$agents"); do
        mkdir -p "$work/agents/$i"
        printf 'coordinator_url: %s\nstate_dir: %s\nca_file: %s\njoin_token: %s\nnode_name: soak-%03d\nheartbeat_interval: 1s\npoll_wait: 25s\n' \
            "$url" "$work/agents/$i/state" "$work/data/ca.crt" "$token" "$i" >"$work/agents/$i/agent.yaml"
        "$bin/agent" run --config "$work/agents/$i/agent.yaml" >"$work/agents/$i/log" 2>&1 &
        agent_pids+=($!)
    done
    until [ "$("$bin/coordinator" nodes list | grep -c ' ready ' || true)" -ge "$agents" ]; do sleep 1; done
    echo "coordinator pid $pid, $bin, $agents agents at 1 s heartbeats, a task every 30 s, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-unset}, SHOAL_MALLOC_TUNING=${SHOAL_MALLOC_TUNING:-on}"
    echo "seconds  rss_mib  db_kib"
    start=$SECONDS
    while [ $((SECONDS - start)) -lt $((minutes * 60)) ]; do
        "$bin/coordinator" task run --command 'echo soak; head -c 20000 /dev/zero | tr "\\0" x' --yes >/dev/null 2>&1 || true
        sleep 30
        echo "$((SECONDS - start))  $(rss)  $(du -k "$work/data/fleet.db" | cut -f1)"
    done
    exit 0
fi

# The battery: bodies up to just under and over the 4 MiB limit, broken JSON, bad CSRs,
# thousands of bogus steps, malformed path escapes, unknown routes.
p="$work/payloads"
mkdir -p "$p"
python3 - "$p" <<'PY'
import json, sys
d = sys.argv[1]
open(f"{d}/big-broken.json", "w").write('{"name":"' + "A" * (4 * 1024 * 1024 - 100))
open(f"{d}/too-large.json", "w").write('{"name":"' + "B" * (5 * 1024 * 1024))
steps = [{"kind": "nonsense-%d" % i, "params": {"script": "x" * 200}} for i in range(10000)]
open(f"{d}/many-steps.json", "w").write(json.dumps({"name": "t", "selector": "", "timeoutSeconds": 60,
    "policy": {"canary": 0, "maxErrors": "0", "retries": 0, "retryBackoffSeconds": 5}, "checkMode": False, "steps": steps}))
open(f"{d}/bad-schedule.json", "w").write(json.dumps({"name": "../etc", "cron": "@every 9223372036854775807",
    "task": {"name": "t", "selector": "", "timeoutSeconds": -1, "policy": {"canary": 0, "maxErrors": "0", "retries": 0, "retryBackoffSeconds": 5}, "checkMode": False, "steps": []}}))
open(f"{d}/bad-enroll.json", "w").write(json.dumps({"csr": "-----BEGIN CERTIFICATE REQUEST-----\n" + "QUFB" * 10000 + "\n-----END CERTIFICATE REQUEST-----\n", "hostname": "x" * 5000, "token": "nope"}))
open(f"{d}/deep.json", "w").write("[" * 100000 + "]" * 100000)
PY
auth=(--cert "$work/data/admin.crt" --key "$work/data/admin.key" --cacert "$work/data/ca.crt")
{
    for i in $(seq "$requests"); do
        case $((i % 8)) in
            0) echo "-X POST $url/v1/tasks -H content-type:application/json --data-binary @$p/big-broken.json" ;;
            1) echo "-X POST $url/v1/tasks -H content-type:application/json --data-binary @$p/too-large.json" ;;
            2) echo "-X POST $url/v1/tasks -H content-type:application/json --data-binary @$p/many-steps.json" ;;
            3) echo "-X POST $url/v1/schedules -H content-type:application/json --data-binary @$p/bad-schedule.json" ;;
            4) echo "-X POST $url/v1/enroll -H content-type:application/json --data-binary @$p/bad-enroll.json" ;;
            5) echo "-X POST $url/v1/tasks/preview -H content-type:application/json --data-binary @$p/deep.json" ;;
            6) echo "$url/v1/schedules/%zz/runs" ;;
            7) echo "$url/v1/no/such/route/$i" ;;
        esac
    done
} >"$work/requests"

echo "coordinator pid $pid, $bin, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-unset}, SHOAL_MALLOC_TUNING=${SHOAL_MALLOC_TUNING:-on}"
echo "requests  rss_mib"
echo "0  $(rss)"
start=$SECONDS
sent=0
while [ "$sent" -lt "$requests" ]; do
    batch=$(( requests - sent < 500 ? requests - sent : 500 ))
    sed -n "$((sent + 1)),$((sent + batch))p" "$work/requests" \
        | xargs -P "$concurrency" -L 1 curl -s -o /dev/null "${auth[@]}" 2>/dev/null || true
    sent=$((sent + batch))
    echo "$sent  $(rss)"
done
echo "sent $sent requests in $((SECONDS - start))s; idle ${idle}s"
sleep "$idle"
echo "idle  $(rss)"
kill -0 "$pid" || { echo "memory-soak.sh: the coordinator died" >&2; tail -n 20 "$work/coordinator.log" >&2; exit 1; }

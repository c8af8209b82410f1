#!/usr/bin/env bash
# Benchmark on loopback: N agents (default 30) against one coordinator. Prints the time to
# enroll them all, fleet-task round trips, a rolled-out task, and memory per process.
# Usage: scripts/bench.sh [N]. Uses the debug build unless BIN is set (e.g. .build/release).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30}
if [ -z "${BIN:-}" ]; then swift build >/dev/null 2>&1; BIN=$(swift build --show-bin-path); fi
DIR=$(mktemp -d /tmp/shoal-bench-XXXXXX)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.2f}')"; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA="$DIR/coordinator"
"$BIN/coordinator" init --data-dir "$DATA" --advertise "https://127.0.0.1:$PORT" --listen "127.0.0.1:$PORT" --admin-dir "$DIR/admin" >/dev/null
export SHOAL_SIGNING_KEY="$DIR/admin/operator.key"
"$BIN/coordinator" serve --data-dir "$DATA" >"$DIR/coordinator.log" 2>&1 &
COORD=$!; PIDS+=($COORD)
for _ in $(seq 100); do grep -q listening "$DIR/coordinator.log" && break; sleep 0.1; done
export SHOAL_DATA_DIR="$DATA"
TOKEN=$("$BIN/coordinator" token create --uses "$N" --ttl 10m --label pool=bench)

start=$(now)
for i in $(seq "$N"); do
  mkdir -p "$DIR/n$i"
  printf 'coordinator_url: https://127.0.0.1:%s\nstate_dir: %s\nca_file: %s\njoin_token: %s\nnode_name: bench-%03d\nheartbeat_interval: 10s\n' \
    "$PORT" "$DIR/n$i/state" "$DATA/ca.crt" "$TOKEN" "$i" >"$DIR/n$i/agent.yaml"
  "$BIN/agent" run --config "$DIR/n$i/agent.yaml" >"$DIR/n$i/log" 2>&1 &
  PIDS+=($!)
done
until [ "$("$BIN/coordinator" nodes list | grep -c ' ready ' || true)" -ge "$N" ]; do sleep 0.2; done
echo "agents:                       $N"
echo "enroll all + first facts:     $(elapsed "$start") s"

for run in 1 2 3; do
  start=$(now)
  "$BIN/coordinator" task run --selector pool=bench --command true --wait >/dev/null 2>&1
  echo "fleet task round trip #$run:     $(elapsed "$start") s  (sign $N bundles, deliver, run, report)"
done
start=$(now)
"$BIN/coordinator" task run --selector pool=bench --command 'sleep 0.2' --max-concurrency 5 --wait >/dev/null 2>&1
echo "rollout, 5 at a time, 0.2 s:  $(elapsed "$start") s  (floor: $(python3 -c "print(f'{($N + 4) // 5 * 0.2:.1f}')") s)"

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
echo "coordinator RSS:              $(( $(rss $COORD) / 1024 )) MiB"
total=0
for pid in "${PIDS[@]:1}"; do total=$(( total + $(rss "$pid") )); done
echo "agent RSS (mean):             $(( total / N / 1024 )) MiB"
echo "database size:                $(du -k "$DATA/fleet.db" | cut -f1) KiB"

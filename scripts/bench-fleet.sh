#!/usr/bin/env bash
# Fleet benchmark: a real coordinator and the fleet simulator (shoal-sim) at 1k/5k/10k nodes.
# Prints a table and writes JSON (docs/benchmarks.md explains every figure). Not a test.
#
# Usage: scripts/bench-fleet.sh [--sizes 1000,5000,10000] [--interval 10] [--window 60]
#                               [--rollout-step 1] [--soak 30m] [--out FILE.json]
#   BIN=dir       use built coordinator and shoal-sim from dir (else a release build in
#                 .build/bench, its own scratch path)
#   KEEP=1        keep the temporary folder (coordinator logs, sim reports)
#
# Per size: a fresh coordinator (heartbeat_interval = --interval), the sim enrolls N nodes
# with no ramp-up (64 enrollments in flight), then over --window seconds: heartbeats/s,
# p50/p99, coordinator CPU (from /proc/PID/stat) and RSS; a no-op fan-out to all N; the
# latency of 'nodes list --selector' and 'task status' on the API; at the largest size a
# rollout of 'sleep STEP' at --max-concurrency 10% against its floor (10 waves x STEP).
# --soak: one size (the first) for that long; coordinator RSS and database size every minute,
# with a no-op fan-out every 5 minutes so task history grows as in use.
#
# Coordinator and simulator share this machine's cores: the table prints both CPUs.
# N nodes need about 2N+1024 open files in each process: the script raises its limit to the
# hard limit, and simulates one connection per node (N+1024) where that is not enough.
#   CONNS=1       one connection per node regardless
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=1000,5000,10000
INTERVAL=10
WINDOW=60
ROLLOUT_STEP=1
SOAK=""
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) SIZES=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --rollout-step) ROLLOUT_STEP=$2; shift 2 ;;
    --soak) SOAK=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "${BIN:-}" ]; then
  echo "== building coordinator and shoal-sim (release, .build/bench)" >&2
  for product in coordinator shoal-sim; do
    nice swift build -c release --scratch-path .build/bench --product "$product" >&2
  done
  BIN=$(swift build -c release --scratch-path .build/bench --show-bin-path)
fi
MAX_SIZE=$(tr ',' '\n' <<<"$SIZES" | sort -n | tail -1)
# Two connections per node as the agent holds them, where the open-file limit allows it in
# both processes; else one (heartbeats and long polls take turns), said in the output.
ulimit -n "$(ulimit -Hn)"
CONNS=${CONNS:-2}
if [ "$(ulimit -n)" -lt $((MAX_SIZE * CONNS + 1024)) ]; then CONNS=1; fi
if [ "$(ulimit -n)" -lt $((MAX_SIZE * CONNS + 1024)) ]; then
  echo "need $((MAX_SIZE + 1024)) open files for $MAX_SIZE nodes, the hard limit is $(ulimit -Hn): raise it (limits.conf, LimitNOFILE) or pick smaller --sizes" >&2
  exit 1
fi
[ "$CONNS" = 1 ] && echo "open-file limit $(ulimit -n): simulating 1 connection per node (2 need $((MAX_SIZE * 2 + 1024)))" >&2

DIR=$(mktemp -d /tmp/shoal-bench-fleet-XXXXXX)
OUT=${OUT:-$DIR/bench-fleet.json}
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$DIR"; else echo "kept $DIR" >&2; fi
}
trap cleanup EXIT
TICKS=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
file_mib() { du -cm "$@" 2>/dev/null | tail -1 | cut -f1; }

# api PATH: one admin request with curl; prints the seconds it took.
api_time() { curl -s -o /dev/null -w '%{time_total}' --cacert "$DATA/ca.crt" --cert "$DATA/admin.crt" --key "$DATA/admin.key" "$URL$1"; }
median_time() {
  local times=()
  for _ in 1 2 3 4 5; do times+=("$(api_time "$1")"); done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}

# fanout ARGS...: runs 'task run ... --wait --json'; prints JSON with the CLI's wall time and
# create -> last result stored (from the task view's timestamps).
fanout() {
  local start end
  start=$(now)
  "$BIN/coordinator" task run "$@" --wait --json >"$DIR/task.json" 2>"$DIR/task.err" || true
  end=$(now)
  python3 - "$DIR/task.json" "$start" "$end" <<'PY'
import json, sys
from datetime import datetime
def ts(text): return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
try:
    view = json.load(open(sys.argv[1]))
except Exception:
    print(json.dumps({"error": open(sys.argv[1].replace("task.json", "task.err")).read()[-300:]})); sys.exit()
nodes = view.get("nodes", [])
finished = [ts(n["finishedAt"]) for n in nodes if n.get("finishedAt")]
created = ts(view["createdAt"])
print(json.dumps({
    "task": view["id"], "status": view["status"], "nodes": len(nodes),
    "succeeded": sum(1 for n in nodes if n["status"] == "succeeded"),
    "cli_seconds": round(float(sys.argv[3]) - float(sys.argv[2]), 3),
    "create_to_last_result_seconds": round(max(finished) - created, 3) if finished else None,
}))
PY
}

start_fleet() {  # start_fleet N: fresh coordinator + simulator with N nodes; waits for "fleet up"
  local n=$1
  DATA="$DIR/c$n"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  URL="https://127.0.0.1:$PORT"
  "$BIN/coordinator" init --data-dir "$DATA" --advertise "$URL" --listen "127.0.0.1:$PORT" --admin-dir "$DATA/admin" >/dev/null
  sed -i "s/^heartbeat_interval:.*/heartbeat_interval: ${INTERVAL}s/" "$DATA/coordinator.yaml"
  grep -q '^heartbeat_interval:' "$DATA/coordinator.yaml" || echo "heartbeat_interval: ${INTERVAL}s" >>"$DATA/coordinator.yaml"
  export SHOAL_SIGNING_KEY="$DATA/admin/operator.key" SHOAL_DATA_DIR="$DATA"
  "$BIN/coordinator" serve --data-dir "$DATA" >"$DATA.log" 2>&1 &
  COORD=$!; PIDS+=("$COORD")
  for _ in $(seq 200); do grep -q listening "$DATA.log" && break; sleep 0.1; done
  local token
  token=$("$BIN/coordinator" token create --uses "$n" --ttl 2h --label role=bench)
  "$BIN/shoal-sim" --data-dir "$DATA" --token "$token" --nodes "$n" --heartbeat-interval "$INTERVAL" --connections-per-node "$CONNS" --gpu-share 0.1 \
    --stats-interval 10 --report "$DIR/sim-$n.json" >"$DIR/sim-$n.stats" 2>"$DIR/sim-$n.log" &
  SIM=$!; PIDS+=("$SIM")
  until grep -q 'fleet up' "$DIR/sim-$n.log"; do
    if ! kill -0 "$SIM" 2>/dev/null; then echo "shoal-sim stopped:" >&2; tail -5 "$DIR/sim-$n.log" >&2; exit 1; fi
    sleep 1
  done
}

stop_fleet() {
  kill -TERM "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true
  kill -TERM "$COORD" 2>/dev/null || true; wait "$COORD" 2>/dev/null || true
}

if [ -n "$SOAK" ]; then
  N=${SIZES%%,*}
  SECONDS_TOTAL=$(python3 -c "import re,sys; t='$SOAK'; m=re.fullmatch(r'(\d+)([smh]?)', t); print(int(m[1]) * {'':1,'s':1,'m':60,'h':3600}[m[2]])")
  start_fleet "$N"
  echo "soak: $N nodes, ${INTERVAL}s heartbeats, $SOAK" >&2
  printf '%8s %10s %10s %8s\n' minute rss_mib db_mib fanouts
  : >"$DIR/soak.jsonl"
  fanouts=0
  for minute in $(seq 0 $((SECONDS_TOTAL / 60))); do
    if [ $((minute % 5)) -eq 0 ] && [ "$minute" -gt 0 ]; then fanout --selector role=bench --command true >/dev/null; fanouts=$((fanouts + 1)); fi
    rss=$(rss_mib "$COORD"); db=$(file_mib "$DATA"/fleet.db*)
    printf '%8s %10s %10s %8s\n' "$minute" "$rss" "$db" "$fanouts"
    echo "{\"minute\": $minute, \"coordinator_rss_mib\": $rss, \"database_mib\": $db, \"fanouts\": $fanouts}" >>"$DIR/soak.jsonl"
    [ "$minute" -lt $((SECONDS_TOTAL / 60)) ] && sleep 60
  done
  stop_fleet
  python3 -c "import json,sys; print(json.dumps({'soak': [json.loads(l) for l in open('$DIR/soak.jsonl')], 'nodes': $N, 'interval_seconds': $INTERVAL}, indent=2))" >"$OUT"
  echo "JSON: $OUT" >&2
  exit 0
fi

: >"$DIR/results.jsonl"
for N in ${SIZES//,/ }; do
  echo "== $N nodes" >&2
  start_fleet "$N"
  sleep 15  # let the first heartbeats after enrollment spread out
  stats_from=$(wc -l <"$DIR/sim-$N.stats")
  c0=$(cpu_ticks "$COORD"); s0=$(cpu_ticks "$SIM"); t0=$(now)
  sleep "$WINDOW"
  c1=$(cpu_ticks "$COORD"); s1=$(cpu_ticks "$SIM"); t1=$(now)
  rss=$(rss_mib "$COORD"); sim_rss=$(rss_mib "$SIM")
  tail -n +"$((stats_from + 1))" "$DIR/sim-$N.stats" >"$DIR/window-$N.jsonl"
  list_s=$(median_time "/v1/nodes?selector=role%3Dbench")
  fan=$(fanout --selector role=bench --command true)
  task_id=$(FAN=$fan python3 -c "import json, os; print(json.loads(os.environ['FAN']).get('task', ''))")
  status_s=$( [ -n "$task_id" ] && median_time "/v1/tasks/$task_id" || echo null)
  rollout=null
  if [ "$N" = "$MAX_SIZE" ]; then
    rollout=$(fanout --selector role=bench --command "sleep $ROLLOUT_STEP" --max-concurrency 10%)
  fi
  db=$(file_mib "$DATA"/fleet.db*)
  stop_fleet
  N=$N WALL=$(python3 -c "print($t1 - $t0)") CPU_COORD=$((c1 - c0)) CPU_SIM=$((s1 - s0)) RSS=$rss SIM_RSS=$sim_rss DB=$db \
  LIST_S=$list_s STATUS_S=$status_s FAN=$fan ROLLOUT=$rollout WINDOWS="$DIR/window-$N.jsonl" SIM_REPORT="$DIR/sim-$N.json" \
  TICKS=$TICKS INTERVAL=$INTERVAL ROLLOUT_STEP=$ROLLOUT_STEP CONNS=$CONNS python3 - <<'PY' >>"$DIR/results.jsonl"
import json, os
e = os.environ
windows = [json.loads(l) for l in open(e["WINDOWS"]) if l.strip()]
sim = json.load(open(e["SIM_REPORT"]))
wall = float(e["WALL"])
beats = sum(w["heartbeats"] for w in windows)
p50s = [w["p50Milliseconds"] for w in windows if w.get("p50Milliseconds") is not None]
p99s = [w["p99Milliseconds"] for w in windows if w.get("p99Milliseconds") is not None]
rollout = json.loads(e["ROLLOUT"])
print(json.dumps({
    "nodes": int(e["N"]), "connections_per_node": int(e["CONNS"]), "heartbeat_interval_seconds": float(e["INTERVAL"]), "window_seconds": round(wall, 1),
    # Whole 10 s stats windows inside the measurement; p50 the median window's, p99 the worst window's.
    "heartbeats_per_second": round(beats / max(1, len(windows) * 10), 1),
    "heartbeat_p50_ms": round(sorted(p50s)[len(p50s) // 2], 2) if p50s else None,
    "heartbeat_p99_ms": round(max(p99s), 2) if p99s else None,
    "coordinator_cpu_percent": round(int(e["CPU_COORD"]) / int(e["TICKS"]) / wall * 100, 1),
    "simulator_cpu_percent": round(int(e["CPU_SIM"]) / int(e["TICKS"]) / wall * 100, 1),
    "coordinator_rss_mib": int(e["RSS"]), "simulator_rss_mib": int(e["SIM_RSS"]), "database_mib": int(e["DB"]),
    "enrollment_per_second": round(sim["enrollmentPerSecond"], 1) if sim.get("enrollmentPerSecond") else None,
    "nodes_list_selector_seconds": json.loads(e["LIST_S"]), "task_status_seconds": json.loads(e["STATUS_S"]),
    "fanout": json.loads(e["FAN"]), "rollout": rollout,
    "rollout_floor_seconds": 10 * float(e["ROLLOUT_STEP"]) if rollout else None,
    "simulator_errors": sim.get("errors", {}),
}))
PY
done

python3 - "$DIR/results.jsonl" "$OUT" <<'PY'
import json, os, platform, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
json.dump({"machine": {"cores": os.cpu_count(), "kernel": platform.release()}, "sizes": rows}, open(sys.argv[2], "w"), indent=2)
def f(v, spec="{:.1f}"): return "-" if v is None else spec.format(v)
print(f"{'nodes':>6} {'hb/s':>7} {'p50ms':>6} {'p99ms':>7} {'coordCPU%':>9} {'simCPU%':>7} {'RSS MiB':>7} {'enroll/s':>8} {'fanout s':>8} {'list s':>6} {'status s':>8} {'rollout s (floor)':>17}")
for r in rows:
    fan = r["fanout"].get("create_to_last_result_seconds")
    ro = r["rollout"] or {}
    rollout = "-" if not ro else f"{f(ro.get('create_to_last_result_seconds'), '{:.1f}')} ({r['rollout_floor_seconds']})"
    print(f"{r['nodes']:>6} {f(r['heartbeats_per_second']):>7} {f(r['heartbeat_p50_ms']):>6} {f(r['heartbeat_p99_ms']):>7} "
          f"{f(r['coordinator_cpu_percent']):>9} {f(r['simulator_cpu_percent']):>7} {r['coordinator_rss_mib']:>7} "
          f"{f(r['enrollment_per_second']):>8} {f(fan, '{:.2f}'):>8} {f(r['nodes_list_selector_seconds'], '{:.3f}'):>6} "
          f"{f(r['task_status_seconds'], '{:.3f}'):>8} {rollout:>17}")
print(f"JSON: {sys.argv[2]}", file=sys.stderr)
PY

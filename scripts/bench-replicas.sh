#!/usr/bin/env bash
# Replica benchmark: the same simulated fleet on one coordinator with SQLite, one coordinator
# on PostgreSQL, and two coordinator replicas on that PostgreSQL (each with half the nodes).
# Prints heartbeats/s, p99, CPU and a no-op fan-out per setup (docs/benchmarks.md). Not a test.
#
# Usage: scripts/bench-replicas.sh [--nodes 2000] [--interval 2] [--window 30] [--replica-cpu PCT]
#   --replica-cpu PCT  give each coordinator process at most PCT % of one core (a cgroup CPU
#                      quota, as root): a replica's own machine, modelled on one host, so that
#                      the coordinators, not the shared cores, are what runs out
#   BIN=dir   use built coordinator and shoal-sim from dir (else a release build in .build/bench)
#   KEEP=1    keep the temporary folder
#   SETUPS="postgres-1 postgres-2"  run only these setups
#   PG_STATS=1  print PostgreSQL's busiest statements of each window (pg_stat_statements)
#
# The heartbeat interval is short on purpose: the fleet asks for more heartbeats than one
# coordinator answers, so the figure is what the setup sustains. PostgreSQL runs locally with
# synchronous_commit = off (what SQLite's synchronous = NORMAL risks on a power cut, too).
# Everything shares this machine's cores: the table prints each process group's CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES=2000
INTERVAL=2
WINDOW=30
REPLICA_CPU=
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --replica-cpu) REPLICA_CPU=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$REPLICA_CPU" in
  ''|[1-9]|[1-9][0-9]|100) ;;
  *) echo "--replica-cpu takes a whole percentage of one core, 1 to 100" >&2; exit 2 ;;
esac
if [ -z "${BIN:-}" ]; then
  for product in coordinator shoal-sim; do nice swift build -c release --scratch-path .build/bench --product "$product" >&2; done
  BIN=$(swift build -c release --scratch-path .build/bench --show-bin-path)
fi
ulimit -n "$(ulimit -Hn)"

DIR=$(mktemp -d /tmp/shoal-bench-replicas-XXXXXX)
chmod 755 "$DIR"
PIDS=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$DIR/pg/data" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  for group in "${CGROUPS[@]}"; do rmdir "$group" 2>/dev/null || true; done
  if [ -z "${KEEP:-}" ]; then rm -rf "$DIR"; else echo "kept $DIR" >&2; fi
}
trap cleanup EXIT
# One CPU cgroup per coordinator process when --replica-cpu is given (cgroup v1 or v2).
CGROUPS=()
cap_cpu() { # PID NAME
  [ -n "$REPLICA_CPU" ] || return 0
  local group
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    group=/sys/fs/cgroup/shoal-bench-$2-$$; mkdir -p "$group"; echo "$((REPLICA_CPU * 1000)) 100000" >"$group/cpu.max"
  elif [ -d /sys/fs/cgroup/cpu ]; then
    group=/sys/fs/cgroup/cpu/shoal-bench-$2-$$; mkdir -p "$group"
    echo 100000 >"$group/cpu.cfs_period_us"; echo "$((REPLICA_CPU * 1000))" >"$group/cpu.cfs_quota_us"
  else
    echo "--replica-cpu needs a cgroup CPU controller (and root)" >&2; exit 1
  fi
  echo "$1" >"$group/cgroup.procs"
  CGROUPS+=("$group")
}
TICKS=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
ticks() { local total=0; for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo $total; }
pg_ticks() { local total=0; for pid in $(pgrep -u postgres -f "$DIR/pg" || true) $(pgrep -P "$(head -1 "$DIR/pg/data/postmaster.pid")" || true); do
  total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo $total; }

# A private PostgreSQL on loopback.
mkdir -p "$DIR/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg"
PGPASS=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$PGPASS" >"$DIR/pg/pw"; [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg/pw"
as_pg "$PGBIN/initdb" -D "$DIR/pg/data" -U shoal --pwfile="$DIR/pg/pw" --auth=scram-sha-256 -E UTF8 --locale=C --no-sync >/dev/null
PGPORT=$(free_port)
as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/log" -w start \
  -o "-p $PGPORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c synchronous_commit=off -c shared_buffers=256MB${PG_STATS:+ -c shared_preload_libraries=pg_stat_statements}" >/dev/null
[ -n "${PG_STATS:-}" ] && psql "postgres://shoal:$PGPASS@127.0.0.1:$PGPORT/postgres" -qc "CREATE EXTENSION pg_stat_statements" >/dev/null
PGURL="postgres://shoal:$PGPASS@127.0.0.1:$PGPORT"

: >"$DIR/results.jsonl"
for setup in ${SETUPS:-sqlite-1 postgres-1 postgres-2}; do
  store=${setup%-*}; replicas=${setup#*-}
  echo "== $setup: $NODES nodes, ${INTERVAL}s heartbeats" >&2
  DATA="$DIR/$setup"
  PORTS=(); for _ in $(seq "$replicas"); do PORTS+=("$(free_port)"); done
  URL="https://127.0.0.1:${PORTS[0]}"
  "$BIN/coordinator" init --data-dir "$DATA" --advertise "$URL" --listen "127.0.0.1:${PORTS[0]}" --admin-dir "$DATA/admin" >/dev/null
  sed -i "s/^heartbeat_interval:.*/heartbeat_interval: ${INTERVAL}s/" "$DATA/coordinator.yaml"
  export SHOAL_SIGNING_KEY="$DATA/admin/operator.key" SHOAL_DATA_DIR="$DATA"
  if [ "$store" = postgres ]; then
    db="b_${setup//-/_}"
    psql "$PGURL/postgres" -qc "CREATE DATABASE $db" >/dev/null
    "$BIN/coordinator" db copy --to "$PGURL/$db?sslmode=disable" --write-config >/dev/null
  fi
  COORDS=()
  for index in $(seq 0 $((replicas - 1))); do
    dir=$DATA; [ "$index" -gt 0 ] && { dir="$DATA-r$index"; cp -a "$DATA" "$dir"; }
    "$BIN/coordinator" serve --data-dir "$dir" --listen "127.0.0.1:${PORTS[$index]}" >"$DIR/$setup-r$index.log" 2>&1 &
    COORDS+=($!); PIDS+=($!)
    cap_cpu "$!" "$setup-r$index"
    for _ in $(seq 200); do grep -q listening "$DIR/$setup-r$index.log" && break; sleep 0.1; done
  done
  token=$("$BIN/coordinator" token create --uses "$NODES" --ttl 2h --label role=bench)
  SIMS=()
  share=$((NODES / replicas))
  for index in $(seq 0 $((replicas - 1))); do
    "$BIN/shoal-sim" --coordinator "https://127.0.0.1:${PORTS[$index]}" --ca-file "$DATA/ca.crt" --token "$token" --nodes "$share" \
      --heartbeat-interval "$INTERVAL" --connections-per-node 1 --stats-interval 10 --report "$DIR/$setup-sim$index.json" \
      >"$DIR/$setup-sim$index.stats" 2>"$DIR/$setup-sim$index.log" &
    SIMS+=($!); PIDS+=($!)
  done
  for index in $(seq 0 $((replicas - 1))); do
    until grep -q 'fleet up' "$DIR/$setup-sim$index.log"; do
      kill -0 "${SIMS[$index]}" 2>/dev/null || { echo "shoal-sim stopped:" >&2; tail -5 "$DIR/$setup-sim$index.log" >&2; exit 1; }
      sleep 1
    done
  done
  sleep 10
  from=(); for index in $(seq 0 $((replicas - 1))); do from+=("$(wc -l <"$DIR/$setup-sim$index.stats")"); done
  c0=$(ticks "${COORDS[@]}"); s0=$(ticks "${SIMS[@]}"); p0=$( [ "$store" = postgres ] && pg_ticks || echo 0 ); t0=$(now)
  [ -n "${PG_STATS:-}" ] && [ "$store" = postgres ] && psql "$PGURL/postgres" -qc "SELECT pg_stat_statements_reset()" >/dev/null
  sleep "$WINDOW"
  if [ -n "${PG_STATS:-}" ] && [ "$store" = postgres ]; then
    echo "== $setup: PostgreSQL's busiest statements in the window" >&2
    psql "$PGURL/postgres" -c "SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >&2
    psql "$PGURL/${db:-postgres}" -c "SELECT relname, n_tup_upd, n_tup_hot_upd, n_dead_tup, autovacuum_count FROM pg_stat_user_tables WHERE n_tup_upd > 0 ORDER BY n_tup_upd DESC LIMIT 5" >&2
  fi
  c1=$(ticks "${COORDS[@]}"); s1=$(ticks "${SIMS[@]}"); p1=$( [ "$store" = postgres ] && pg_ticks || echo 0 ); t1=$(now)
  : >"$DIR/$setup-window.jsonl"
  for index in $(seq 0 $((replicas - 1))); do tail -n +"$((from[index] + 1))" "$DIR/$setup-sim$index.stats" >>"$DIR/$setup-window.jsonl"; done
  start=$(now)
  "$BIN/coordinator" task run --selector role=bench --command true --wait --json >"$DIR/$setup-task.json" 2>"$DIR/$setup-task.err" || true
  end=$(now)
  for pid in "${SIMS[@]}" "${COORDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  SETUP=$setup REPLICAS=$replicas WALL=$(python3 -c "print($t1 - $t0)") CPU_C=$((c1 - c0)) CPU_S=$((s1 - s0)) CPU_P=$((p1 - p0)) \
  TICKS=$TICKS WINDOWS="$DIR/$setup-window.jsonl" TASK="$DIR/$setup-task.json" CLI_S=$(python3 -c "print($end - $start)") python3 - <<'PY' >>"$DIR/results.jsonl"
import json, os
from datetime import datetime
e = os.environ
def ts(t): return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
windows = [json.loads(l) for l in open(e["WINDOWS"]) if l.strip()]
wall, ticks = float(e["WALL"]), int(e["TICKS"])
# Each simulator reports per 10 s window; the setups' windows add up.
beats = sum(w["heartbeats"] for w in windows)
per_sim_windows = max(1, len(windows) // int(e["REPLICAS"]))
p99s = [w["p99Milliseconds"] for w in windows if w.get("p99Milliseconds") is not None]
try:
    view = json.load(open(e["TASK"]))
    finished = [ts(n["finishedAt"]) for n in view["nodes"] if n.get("finishedAt")]
    fan = {"status": view["status"], "succeeded": sum(1 for n in view["nodes"] if n["status"] == "succeeded"),
           "create_to_last_result_seconds": round(max(finished) - ts(view["createdAt"]), 2) if finished else None}
except Exception as error:
    fan = {"error": str(error)}
print(json.dumps({
    "setup": e["SETUP"], "heartbeats_per_second": round(beats / (per_sim_windows * 10), 1),
    "heartbeat_p99_ms": round(max(p99s), 1) if p99s else None,
    "coordinators_cpu_percent": round(int(e["CPU_C"]) / ticks / wall * 100, 1),
    "postgres_cpu_percent": round(int(e["CPU_P"]) / ticks / wall * 100, 1),
    "simulators_cpu_percent": round(int(e["CPU_S"]) / ticks / wall * 100, 1),
    "fanout": fan, "cli_seconds": round(float(e["CLI_S"]), 2),
}))
PY
done

REPLICA_CPU=$REPLICA_CPU python3 - "$DIR/results.jsonl" "$NODES" "$INTERVAL" <<'PY'
import json, os, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cap = os.environ.get("REPLICA_CPU")
print(f"{sys.argv[2]} nodes asking for {int(sys.argv[2]) / float(sys.argv[3]):.0f} heartbeats/s; {os.cpu_count()} cores shared by everything"
      + (f"; each coordinator process capped at {cap} % of a core" if cap else ""))
print(f"{'setup':>11} {'hb/s':>7} {'p99 ms':>7} {'coord CPU%':>10} {'pg CPU%':>8} {'sim CPU%':>8} {'fan-out s':>9} {'ok':>5}")
base = next((r["heartbeats_per_second"] for r in rows if r["setup"] == "postgres-1"), None)
for r in rows:
    fan = r["fanout"]
    print(f"{r['setup']:>11} {r['heartbeats_per_second']:>7} {r['heartbeat_p99_ms'] or '-':>7} {r['coordinators_cpu_percent']:>10} "
          f"{r['postgres_cpu_percent']:>8} {r['simulators_cpu_percent']:>8} {fan.get('create_to_last_result_seconds') or '-':>9} {fan.get('succeeded', '-'):>5}")
two = next((r["heartbeats_per_second"] for r in rows if r["setup"] == "postgres-2"), None)
if base and two: print(f"two replicas / one on PostgreSQL: {two / base:.2f}x heartbeats/s")
PY

#!/usr/bin/env bash
# Shoal vs Salt on this machine, side by side on loopback: N Shoal agents against one
# coordinator and N Salt 3008.3 minions against one master, both fleets up at once. Prints a
# table and writes JSON (default .build/compare-salt.json):
#   - idle CPU over WINDOW seconds: coordinator vs master (all its processes), mean agent vs
#     mean minion (each with its children), as % of one core;
#   - RSS: coordinator vs master, mean agent vs mean minion;
#   - fan-out of a no-op command to all N, ROUNDS times, interleaved (Shoal, Salt, Shoal, ...):
#     `coordinator task run --command true --wait` vs `salt '*' cmd.run true`, each until every
#     node's result is back.
#
#   scripts/compare-salt.sh [N]          N nodes a side (default 100)
#
# Environment: BIN (directory with agent and coordinator; default: the static release build in
# .build-release/dist if there, else a debug build), SALT_VENV (default .build/salt-venv; created
# with Salt 3008.3 from PyPI when missing, about 3 min), WINDOW (idle window, default 60),
# ROUNDS (default 3), OUT (JSON path). Needs python3 with venv, and about 80 MiB per minion.
# A fair comparison needs a quiet machine: nothing else building or running.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
WINDOW=${WINDOW:-60}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-.build/compare-salt.json}
SALT_VENV=${SALT_VENV:-.build/salt-venv}
SALT_VERSION=3008.3

if [ -z "${BIN:-}" ]; then
  if [ -x .build-release/dist/agent ] && [ -x .build-release/dist/coordinator ]; then BIN=.build-release/dist
  else swift build >/dev/null; BIN=$(swift build --show-bin-path); fi
fi
BIN=$(cd "$BIN" && pwd)
if [ ! -x "$SALT_VENV/bin/salt-master" ]; then
  echo "compare-salt: installing Salt $SALT_VERSION from PyPI into $SALT_VENV (a few minutes)" >&2
  python3 -m venv "$SALT_VENV"
  "$SALT_VENV/bin/pip" install -q "salt==$SALT_VERSION"
fi
SALT_VENV=$(cd "$SALT_VENV" && pwd)
mkdir -p "$(dirname "$OUT")"

# Short: Salt's unix sockets live under it and a socket path has at most 107 bytes.
DIR=$(mktemp -d /tmp/shoal-salt-XXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  pkill -TERM -f "$DIR/" 2>/dev/null || true
  sleep 1
  pkill -KILL -f "$DIR/" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

# --- Shoal ---------------------------------------------------------------------------------
PORT=$(free_port)
DATA="$DIR/coordinator"
"$BIN/coordinator" init --data-dir "$DATA" --advertise "https://127.0.0.1:$PORT" --listen "127.0.0.1:$PORT" --admin-dir "$DIR/admin" >/dev/null
export SHOAL_SIGNING_KEY="$DIR/admin/operator.key" SHOAL_DATA_DIR="$DATA"
"$BIN/coordinator" serve --data-dir "$DATA" >"$DIR/coordinator.log" 2>&1 &
COORD=$!; PIDS+=("$COORD")
for _ in $(seq 100); do grep -q listening "$DIR/coordinator.log" && break; sleep 0.1; done
TOKEN=$("$BIN/coordinator" token create --uses "$N" --ttl 30m --label pool=compare)
AGENTS=()
for i in $(seq "$N"); do
  mkdir -p "$DIR/a$i"
  printf 'coordinator_url: https://127.0.0.1:%s\nstate_dir: %s\nca_file: %s\njoin_token: %s\nnode_name: agent-%03d\nheartbeat_interval: 10s\n' \
    "$PORT" "$DIR/a$i/state" "$DATA/ca.crt" "$TOKEN" "$i" >"$DIR/a$i/agent.yaml"
  "$BIN/agent" run --config "$DIR/a$i/agent.yaml" >"$DIR/a$i/log" 2>&1 &
  AGENTS+=($!); PIDS+=($!)
done

# --- Salt ----------------------------------------------------------------------------------
PUB=$(free_port); RET=$(free_port)
mkdir -p "$DIR/salt/conf"
cat >"$DIR/salt/conf/master" <<EOF
root_dir: $DIR/salt/master
interface: 127.0.0.1
publish_port: $PUB
ret_port: $RET
auto_accept: True
user: root
log_level: warning
log_file: $DIR/salt/master.log
EOF
"$SALT_VENV/bin/salt-master" -c "$DIR/salt/conf" >"$DIR/salt/master.out" 2>&1 &
MASTER=$!; PIDS+=("$MASTER")
MINIONS=()
for i in $(seq "$N"); do
  mkdir -p "$DIR/m$i"
  cat >"$DIR/m$i/minion" <<EOF
id: minion-$(printf %03d "$i")
master: 127.0.0.1
master_port: $RET
publish_port: $PUB
root_dir: $DIR/m$i/root
user: root
log_level: warning
log_file: $DIR/m$i/minion.log
EOF
  "$SALT_VENV/bin/salt-minion" -c "$DIR/m$i" >"$DIR/m$i/out" 2>&1 &
  MINIONS+=($!); PIDS+=($!)
done

salt_cli() { "$SALT_VENV/bin/salt" -c "$DIR/salt/conf" "$@"; }
echo "compare-salt: waiting for $N agents and $N minions" >&2
deadline=$(( $(date +%s) + 900 ))
until [ "$("$BIN/coordinator" nodes list | grep -c ' ready ' || true)" -ge "$N" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "compare-salt: agents did not all come up; see $DIR/a*/log" >&2; exit 1; }
  sleep 1
done
# salt exits non-zero while some minion is silent; with pipefail that must not hide the count.
answered() {
  { salt_cli '*' test.ping --out=json --static --timeout 20 2>/dev/null || true; } |
    python3 -c 'import json,sys; print(sum(1 for v in json.load(sys.stdin).values() if v is True))' 2>/dev/null || echo 0
}
until count=$(answered); [ "$count" -ge "$N" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "compare-salt: $count of $N minions answered test.ping after 15 minutes (a busy machine: each minion is a Python process of about 80 MiB); see $DIR/m*/minion.log" >&2; exit 1; }
  sleep 2
done
# Let start-up work (first facts, key exchange, grains) settle before measuring idle.
sleep 15

# Process trees: CPU ticks (utime+stime of each process and its reaped children) and RSS.
measure() {
  python3 - "$@" <<'EOF'
import os, sys
def children(pid):
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task") for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        return []
def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop(); out.append(p); todo += children(p)
    return out
def stat(pid):
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        ticks = sum(int(x) for x in fields[11:15])
        rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
        return ticks, rss
    except (OSError, StopIteration):
        return 0, 0
for group in sys.argv[1:]:
    ticks = rss = 0
    for root in group.split(","):
        for p in tree(int(root)):
            t, r = stat(p); ticks += t; rss += r
    print(ticks, rss)
EOF
}
groups=("$COORD" "$MASTER" "$(IFS=,; echo "${AGENTS[*]}")" "$(IFS=,; echo "${MINIONS[*]}")")
echo "compare-salt: measuring idle for ${WINDOW}s" >&2
mapfile -t before < <(measure "${groups[@]}")
sleep "$WINDOW"
mapfile -t after < <(measure "${groups[@]}")
HZ=$(getconf CLK_TCK)

shoal_times=(); salt_times=()
for round in $(seq "$ROUNDS"); do
  start=$(now)
  "$BIN/coordinator" task run --selector pool=compare --command true --wait >"$DIR/shoal-run-$round.out" 2>&1
  shoal_times+=("$(python3 -c "print(f'{$(now) - $start:.3f}')")")
  start=$(now)
  answered=$(salt_cli '*' cmd.run true --out=json --static --timeout 60 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  salt_times+=("$(python3 -c "print(f'{$(now) - $start:.3f}')")")
  [ "$answered" -ge "$N" ] || echo "compare-salt: round $round: only $answered of $N minions answered" >&2
done

python3 - "$N" "$WINDOW" "$HZ" "$OUT" "${before[*]}" "${after[*]}" "${shoal_times[*]}" "${salt_times[*]}" <<'EOF'
import json, statistics, sys
n, window, hz, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
before = [int(x) for x in sys.argv[5].split()]
after = [int(x) for x in sys.argv[6].split()]
shoal = [float(x) for x in sys.argv[7].split()]
salt = [float(x) for x in sys.argv[8].split()]
def cpu(i, per=1):  # % of one core over the window
    return (after[2 * i] - before[2 * i]) / hz / window * 100 / per
def rss(i, per=1):  # MiB
    return after[2 * i + 1] / 1024 / per
result = {
    "nodes": n, "idle_window_s": window,
    "shoal": {"coordinator_cpu_pct": cpu(0), "coordinator_rss_mib": rss(0), "agent_cpu_pct_mean": cpu(2, n),
              "agent_rss_mib_mean": rss(2, n), "fanout_s": shoal, "fanout_s_median": statistics.median(shoal)},
    "salt": {"master_cpu_pct": cpu(1), "master_rss_mib": rss(1), "minion_cpu_pct_mean": cpu(3, n),
             "minion_rss_mib_mean": rss(3, n), "fanout_s": salt, "fanout_s_median": statistics.median(salt)},
}
json.dump(result, open(out, "w"), indent=2)
s, t = result["shoal"], result["salt"]
print(f"{'':32}{'Shoal':>12}{'Salt 3008.3':>14}")
print(f"{'idle control plane CPU, % core':32}{s['coordinator_cpu_pct']:>12.2f}{t['master_cpu_pct']:>14.2f}")
print(f"{'control plane RSS, MiB':32}{s['coordinator_rss_mib']:>12.1f}{t['master_rss_mib']:>14.1f}")
print(f"{'idle node CPU (mean), % core':32}{s['agent_cpu_pct_mean']:>12.3f}{t['minion_cpu_pct_mean']:>14.3f}")
print(f"{'node RSS (mean), MiB':32}{s['agent_rss_mib_mean']:>12.1f}{t['minion_rss_mib_mean']:>14.1f}")
print(f"{'no-op fan-out to all, s (median)':32}{s['fanout_s_median']:>12.2f}{t['fanout_s_median']:>14.2f}")
print(f"({n} nodes a side, idle over {window:.0f} s, fan-out rounds: Shoal {shoal}, Salt {salt}; JSON in {out})")
EOF

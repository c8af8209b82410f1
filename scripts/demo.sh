#!/usr/bin/env bash
# Runs a demo fleet on this machine: one coordinator and three agents in a temporary
# directory, on loopback, unprivileged. Enrolls the agents, runs a task across the fleet,
# prints the result table, and cleans everything up. KEEP=1 keeps the directory.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> building (first build takes a few minutes)"
if ! swift build >"${TMPDIR:-/tmp}/shoal-demo-build.log" 2>&1; then
  cat "${TMPDIR:-/tmp}/shoal-demo-build.log"; exit 1
fi
BIN=$(swift build --show-bin-path)
DEMO=$(mktemp -d /tmp/shoal-demo-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$DEMO"; else echo "kept $DEMO"; fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18443)
URL="https://127.0.0.1:$PORT"
DATA="$DEMO/coordinator"

echo "==> coordinator init ($DATA)"
# The root key and the admin's operator signing key go in an admin folder outside the data
# directory (on a real fleet: ~/.shoal/FLEET, then move the root offline; docs/trust.md).
"$BIN/coordinator" init --data-dir "$DATA" --advertise "$URL" --listen "127.0.0.1:$PORT" --admin-dir "$DEMO/admin" | sed 's/^/    /'
export SHOAL_SIGNING_KEY="$DEMO/admin/operator.key"
"$BIN/coordinator" serve --data-dir "$DATA" >"$DEMO/coordinator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "listening" "$DEMO/coordinator.log" && break; sleep 0.1; done

TOKEN=$("$BIN/coordinator" token create --data-dir "$DATA" --uses 3 --ttl 10m --label role=demo)
echo "==> join token minted (3 uses, 10 minutes, label role=demo)"

for n in 1 2 3; do
  mkdir -p "$DEMO/node-$n"
  cat >"$DEMO/node-$n/agent.yaml" <<YAML
coordinator_url: $URL
state_dir: $DEMO/node-$n/state
ca_file: $DATA/ca.crt
join_token: $TOKEN
heartbeat_interval: 2s
node_name: demo-node-$n
YAML
  "$BIN/agent" run --config "$DEMO/node-$n/agent.yaml" >"$DEMO/node-$n/agent.log" 2>&1 &
  PIDS+=($!)
done

echo "==> waiting for three nodes to enroll and report"
for _ in $(seq 150); do
  ready=$("$BIN/coordinator" nodes list --data-dir "$DATA" 2>/dev/null | grep -c " ready " || true)
  [ "$ready" -ge 3 ] && break
  sleep 0.2
done
"$BIN/coordinator" nodes list --data-dir "$DATA"

echo
echo "==> coordinator task run --selector role=demo --wait"
"$BIN/coordinator" task run --data-dir "$DATA" --selector role=demo --timeout 30s --wait \
  --command 'echo "node $SHOAL_NODE_ID: $(nproc) CPUs, kernel $(uname -r), load $(cut -d" " -f1 /proc/loadavg)"'

#!/usr/bin/env bash
# Runs schemathesis (PyPI) against a live coordinator: a fleet in a temporary directory on
# loopback with two enrolled agents, a finished task and two schedules, so the routes answer with
# real data. It reads the coordinator's own GET /v1/openapi.json and, for a bounded time,
# sends generated requests to every route, each with a credential that may call it (operator
# routes: an operator's; admin routes: the admin's; agent routes: node 1's, for its own id).
# Fails when an answer is a 5xx, or its status, content type, headers or body are not what
# docs/openapi.json says.
#
#   scripts/api-fuzz.sh [SECONDS [SCHEMATHESIS-OPTION...]]
#       SECONDS: the fuzzing time, default 60, after ~10 s of setup; the options go to
#       `schemathesis run` (e.g. --include-operation-id getNode --report vcr)
#
# Binaries: SHOAL_BIN, else the static release build (.build-release/dist, what ships) when
# there is one, else the debug build. schemathesis: the one on PATH, or `python3 -m
# schemathesis.cli` (scripts/install-test-deps.sh installs it). The JUnit report is kept in
# .build/api-fuzz/schemathesis.xml; KEEP=1 keeps the fleet's directory and logs. SHOAL_OPENAPI=FILE reads the document from
# FILE instead of the coordinator, to try an edit of docs/openapi.json before rebuilding.
# SHOAL_API_FUZZ_PHASES (default fuzzing; also examples, coverage, stateful) and
# SHOAL_API_FUZZ_CHECKS (default the five below; `all` adds the checks of which requests
# should be accepted, which the document does not claim to decide) are for exploring by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
case "$seconds" in ''|*[!0-9]*) echo "api-fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
[ "$seconds" -ge 10 ] || { echo "api-fuzz.sh: give it at least 10 seconds" >&2; exit 2; }

if [ -n "${SHOAL_BIN:-}" ]; then bin=$SHOAL_BIN
elif [ -x .build-release/dist/coordinator ] && [ -x .build-release/dist/agent ]; then bin=.build-release/dist
else
  swift build --product coordinator >/dev/null && swift build --product agent >/dev/null
  bin=$(swift build --show-bin-path)
fi
bin=$(cd "$bin" && pwd)
if command -v schemathesis >/dev/null; then st=(schemathesis)
elif python3 -c 'import schemathesis' 2>/dev/null; then st=(python3 -m schemathesis.cli)
else echo "api-fuzz.sh: schemathesis is not installed: sudo scripts/install-test-deps.sh (or pip install schemathesis)" >&2; exit 1
fi

work=$(mktemp -d /tmp/shoal-api-fuzz-XXXXXX)
reports=$PWD/.build/api-fuzz
mkdir -p "$reports"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -z "${KEEP:-}" ]; then rm -rf "$work"; else echo "api-fuzz.sh: kept $work"; fi
}
trap cleanup EXIT
fail() { echo "api-fuzz.sh: $*" >&2; [ -f "$work/coordinator.log" ] && tail -20 "$work/coordinator.log" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="https://127.0.0.1:$port"
data=$work/data
started=$(date +%s)
"$bin/coordinator" init --data-dir "$data" --advertise "$url" --listen "127.0.0.1:$port" --admin-dir "$work/admin" >/dev/null
export SHOAL_SIGNING_KEY=$work/admin/operator.key
"$bin/coordinator" serve --data-dir "$data" >"$work/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$work/coordinator.log" && break; sleep 0.1; done
grep -q listening "$work/coordinator.log" || fail "the coordinator did not start"

# Two agents, so nodes have facts and metrics; a task that ran on them; a schedule.
token=$("$bin/coordinator" token create --data-dir "$data" --uses 2 --ttl 10m --label role=fuzz)
for n in 1 2; do
  mkdir -p "$work/node-$n"
  cat >"$work/node-$n/agent.yaml" <<YAML
coordinator_url: $url
state_dir: $work/node-$n/state
ca_file: $data/ca.crt
join_token: $token
heartbeat_interval: 2s
node_name: fuzz-node-$n
YAML
  "$bin/agent" run --config "$work/node-$n/agent.yaml" >"$work/node-$n/agent.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 150); do
  [ "$("$bin/coordinator" nodes list --data-dir "$data" 2>/dev/null | grep -c ' ready ' || true)" -ge 2 ] && break
  sleep 0.2
done
"$bin/coordinator" task run --data-dir "$data" --selector role=fuzz --timeout 30s --wait --command 'echo fuzz' >/dev/null \
  || fail "the seed task did not succeed"
for schedule in nightly doomed; do
  "$bin/coordinator" schedule add "$schedule" --data-dir "$data" --cron '0 3 * * *' --selector role=fuzz --timeout 30s --command true >/dev/null \
    || fail "the seed schedule $schedule was refused"
done
"$bin/coordinator" operator create fuzzer --role operator --out "$work/fuzzer" --data-dir "$data" >/dev/null \
  || fail "could not issue the operator credential"
echo "api-fuzz.sh: fleet with 2 agents, a task and 2 schedules ready in $(( $(date +%s) - started )) s; $url"

# Real ids where a route needs one to get past 404, the long poll not held open, and per
# route the credential that may call it: operator routes with the operator credential, admin
# routes with the admin's, agent routes with node 1's own certificate for its own id.
node=$(curl -s --cacert "$data/ca.crt" --cert "$data/admin.crt" --key "$data/admin.key" "$url/v1/nodes" \
  | python3 -c 'import json, sys; print(next(n["id"] for n in json.load(sys.stdin)["nodes"] if n["hostname"] == "fuzz-node-1"))') || fail "node 1 is not listed"
victim=$(curl -s --cacert "$data/ca.crt" --cert "$data/admin.crt" --key "$data/admin.key" "$url/v1/nodes" \
  | python3 -c 'import json, sys; print(next(n["id"] for n in json.load(sys.stdin)["nodes"] if n["hostname"] == "fuzz-node-2"))') || fail "node 2 is not listed"
task=$(curl -s --cacert "$data/ca.crt" --cert "$data/admin.crt" --key "$data/admin.key" "$url/v1/tasks" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["tasks"][0]["id"])') || fail "the seed task is not listed"
cat >"$work/schemathesis.toml" <<TOML
request-cert = "$work/fuzzer/fuzzer.crt"
request-cert-key = "$work/fuzzer/fuzzer.key"

[[operations]]
include-tag = "agent"
request-cert = "$work/node-1/state/node.crt"
request-cert-key = "$work/node-1/state/node.key"
parameters = { "path.node" = "$node", "query.wait" = 0 }

[[operations]]
include-tag = "admin"
request-cert = "$data/admin.crt"
request-cert-key = "$data/admin.key"

# schemathesis reuses ids it saw in answers: revocations are kept off what the run needs, node 2
# is the one revoked (again and again), only a credential named "nobody" is revoked, and only
# the schedule "doomed" is removed.
[[operations]]
include-operation-id = "revokeNode"
parameters = { "path.id" = "$victim" }

[[operations]]
include-operation-id = "revokeOperator"
parameters = { "body.name" = "nobody" }

[[operations]]
include-operation-id = "removeSchedule"
parameters = { "path.name" = "doomed" }

[[operations]]
include-operation-id = ["getNode", "getNodeEnrollment", "nodeMetrics"]
parameters = { "path.id" = "$node" }

[[operations]]
include-operation-id = ["getTask", "getTaskOutput"]
parameters = { "path.id" = "$task", "path.node" = "$node" }

# The task long poll may be held for up to 60 s, past --request-timeout: it answers at once
# here (its bounds are tried in TaskChangeWaitTests).
[[operations]]
include-operation-id = "waitForTaskChange"
parameters = { "path.id" = "$task", "query.wait" = 0 }

[[operations]]
include-operation-id = "scheduleRuns"
parameters = { "path.name" = "nightly" }
TOML
# not_a_server_error, status_code_conformance, content_type_conformance,
# response_headers_conformance, response_schema_conformance: what the coordinator answers
# must be what the document says. The checks that judge which requests an API should accept
# (negative_data_rejection, positive_data_acceptance, …) are not run: the document describes
# the wire types, not every rule the routes check (a signed task, a CSR, a selector).
checks=${SHOAL_API_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance}
echo "api-fuzz.sh: schemathesis for ${seconds}s"
status=0
# From the fleet's directory: schemathesis keeps a cache of what it found in .schemathesis/ there.
schema=${SHOAL_OPENAPI:-$url/v1/openapi.json}
[ -f "$schema" ] && schema=$(cd "$(dirname "$schema")" && pwd)/$(basename "$schema")
(cd "$work" && "${st[@]}" --config-file "$work/schemathesis.toml" run "$schema" --url "$url" \
  --tls-verify "$data/ca.crt" --checks "$checks" --max-time "$seconds" --workers 2 \
  --phases "${SHOAL_API_FUZZ_PHASES:-fuzzing}" --request-timeout 30 --no-color --suppress-health-check all --generation-database none \
  --report junit --report-junit-path "$reports/schemathesis.xml" "$@") || status=1
if grep -q 'request failed' "$work/coordinator.log"; then
  echo "api-fuzz.sh: the coordinator logged failed requests:" >&2
  grep 'request failed' "$work/coordinator.log" | head -20 >&2
  status=1
fi
echo "api-fuzz.sh: done in $(( $(date +%s) - started )) s"
exit $status

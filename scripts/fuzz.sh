#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/Sources) with -sanitize=fuzzer,address and runs each
# for a bounded time on a copy of its seed corpus (fuzz/corpus/HARNESS; the committed corpus
# never grows). Exits non-zero if any harness crashed, leaked, hung on one input or ran out
# of memory, and prints the input that did it (kept under .build-fuzz/findings/).
#
#   scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]     default: 60 s, every harness
#
# Harnesses: bundle selector task-file agent-body csr. They run side by side, all at once, so
# the fuzzing takes SECONDS_PER_HARNESS of wall time after the build. Replay one input with a
# built harness: .build-fuzz/debug/FuzzBundle path/to/input
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
[ $# -gt 0 ] && shift
declare -A targets=([bundle]=FuzzBundle [selector]=FuzzSelector [task-file]=FuzzTaskFile [agent-body]=FuzzAgentBody [csr]=FuzzCSR)
# Tokens libFuzzer splices into inputs (fuzz/dict): field names, syntax, edge-case numbers.
declare -A dictionaries=([bundle]="json bundle" [selector]=selector [task-file]=task-file [agent-body]="json agent-body" [csr]=csr)
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(bundle selector task-file agent-body csr)
for harness in "${harnesses[@]}"; do
  [ -n "${targets[$harness]:-}" ] || { echo "unknown harness '$harness' (known: ${!targets[*]})" >&2; exit 2; }
  compgen -G "fuzz/corpus/$harness/*" >/dev/null || { echo "no seed corpus in fuzz/corpus/$harness" >&2; exit 2; }
done
case "$seconds" in ''|*[!0-9]*) echo "SECONDS_PER_HARNESS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac

# With SHOAL_FUZZ=1 Package.swift is ShoalCore and the harnesses only, so one build makes them
# all. Every module, the C ones (BoringSSL, libyaml) included, gets coverage instrumentation
# and ASan; --sanitize=fuzzer makes SwiftPM link libFuzzer's main instead of the executable's.
# The sanitizer runtimes make gold warn about every symbol it cannot export: noise.
export SHOAL_FUZZ=1
scratch=.build-fuzz
started=$(date +%s)
swift build --scratch-path "$scratch" --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link 2>&1 | sed '/Cannot export local symbol/d; /is not used by any target/d'
bin=$scratch/debug
echo "fuzz build: $(( $(date +%s) - started )) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
findings=$scratch/findings
rm -rf "$findings"
# The harnesses' own temporary files (the task-file harness's folder) go where we remove them.
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp
# Swift's backtracer hangs under ASan; libFuzzer and ASan print the stack themselves.
export SWIFT_BACKTRACE=enable=no

run_one() {
  local harness=$1 target=${targets[$1]}
  mkdir -p "$work/$harness/corpus" "$findings/$harness"
  cp fuzz/corpus/"$harness"/* "$work/$harness/corpus/"
  for dictionary in ${dictionaries[$harness]}; do cat "fuzz/dict/$dictionary.dict"; done >"$work/$harness.dict"
  if "$bin/$target" "$work/$harness/corpus" -dict="$work/$harness.dict" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/$harness/" >"$work/$harness.log" 2>&1; then
    echo ok >"$work/$harness.status"
  else
    echo failed >"$work/$harness.status"
  fi
}

# All at once, whatever the number of CPUs: the run takes SECONDS_PER_HARNESS of wall time
# after the build, so CI can budget it.
for harness in "${harnesses[@]}"; do
  run_one "$harness" &
done
wait

failed=0
for harness in "${harnesses[@]}"; do
  log=$work/$harness.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(ls "$work/$harness/corpus" | wc -l)
  if [ "$(cat "$work/$harness.status")" = ok ]; then
    printf 'fuzz %-10s ok: %s runs, %s execs/s, corpus %s inputs\n' "$harness" "${runs:-?}" "${speed:-?}" "$corpus"
  else
    failed=1
    echo "fuzz $harness FAILED; the end of its log:"
    tail -60 "$log" | sed 's/^/    /'
    for input in $(sed -n "s/.*Test unit written to //p" "$log"); do
      echo "    input that failed: $input   (replay: $bin/${targets[$harness]} $input)"
    done
  fi
done
echo "fuzzing: $(( $(date +%s) - started )) s in all"
exit "$failed"

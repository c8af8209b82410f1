#!/usr/bin/env bash
# Builds everything (the system tests start the real coordinator and agent binaries) and
# runs the whole test suite. Extra arguments go to `swift test` (e.g. --filter Durability).
set -euo pipefail
cd "$(dirname "$0")/.."
# The packaging tests check the static release agent and the .debs: build them first
# (.build-release/dist; incremental after the first time).
scripts/build-release.sh
swift build --build-tests
swift test --skip-build "$@"

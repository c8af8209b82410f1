#!/usr/bin/env bash
# Builds everything (the system tests start the real coordinator and agent binaries) and
# runs the whole test suite. Extra arguments go to `swift test` (e.g. --filter Durability).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build "$@"

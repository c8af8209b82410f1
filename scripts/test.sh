#!/usr/bin/env bash
# Builds everything and runs the tests. Extra arguments go to `swift test` (e.g. --filter Durability).
#
#   scripts/test.sh           the whole suite: unit tests, real-process system tests on loopback,
#                             step kinds against the real tools, real systemd nodes (testbed) and
#                             the release packages. Needs root and the packages that
#                             scripts/install-test-deps.sh lists; run as root, it installs the
#                             missing ones first (saying what and why).
#   scripts/test.sh --unit    everything that needs neither root nor those packages (a laptop with
#                             Swift, curl and openssl); prints the groups it leaves out.
set -euo pipefail
cd "$(dirname "$0")/.."

unit=0
passthrough=()
for argument in "$@"; do
  case "$argument" in
    --unit) unit=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) passthrough+=("$argument") ;;
  esac
done

# Test suites (or one test: Suite/test) that need root or the real tools, and why: --unit
# leaves them out.
readonly privileged=(
  "ShoalAgentTests DockerContainerStepTests|a private dockerd (docker.io, busybox-static), root"
  "ShoalAgentTests UserStepTests|the real useradd on a copy of /etc/shadow (passwd), root"
  "ShoalAgentTests GroupStepTests|the real groupadd on a copy of /etc/gshadow (passwd), root"
  "ShoalAgentTests SshHardeningStepTests|sshd -t (openssh-server) and a copy of /etc/shadow, root"
  "ShoalAgentTests UfwStepTests|the real ufw (ufw), root"
  "ShoalAgentTests UfwOutgoingGuardTests|the real ufw (ufw), root"
  "ShoalAgentTests DockerContainerAnonymousVolumeTests|a private dockerd (docker.io, busybox-static), root"
  "ShoalAgentTests SymlinkSafetyTests|chown to another user and useradd on copied account files, root"
  "ShoalAgentTests SysctlStepTests|writes its sysctl.d file owned by root, root"
  "ShoalSystemTests TestbedTests|real systemd nodes: systemd-nspawn, debootstrap, network namespaces, root"
  "ShoalSystemTests EnrollmentTests|coordinator enroll over SSH onto testbed nodes, root"
  "ShoalSystemTests CloudInitTests|cloud-init enrollment on testbed nodes, root"
  "ShoalSystemTests NodeStepTests|step kinds on testbed nodes, root"
  "ShoalSystemTests SystemStepsOnNodeTests|user, sysctl, ufw and sshd steps on testbed nodes, root"
  "ShoalSystemTests DockerEngineOnNodeTests|docker_engine on testbed nodes, root"
  "ShoalSystemTests ProfileTests|the shipped profiles on testbed nodes, root"
  "ShoalSystemTests PackagingTests|the static release build and .debs (dpkg-dev, lintian, libstdc++-12-dev), installed on testbed nodes, root"
  "ShoalSystemTests UnitHardeningTests|systemd-analyze on the shipped units and the units on testbed nodes, root"
  "ShoalSystemTests TrustTests/bothSignatureLayersVerifyWithSecuresystemslib|python3 with securesystemslib (pip)"
  "ShoalSystemTests MetricsTests/prometheusScrapesTheFleetWithAViewerCertificateOrThePlainListener|promtool (prometheus)"
  "ShoalCoordinatorTests PostgresServerTests|a private PostgreSQL server (postgresql); as root it runs as the postgres user"
  "ShoalCoordinatorTests PostgresFleetStoreTests|a private PostgreSQL server (postgresql)"
  "ShoalCoordinatorTests PostgresStoreCopyTests|a private PostgreSQL server (postgresql)"
  "ShoalCoordinatorTests StepOutputStoreTests|a private PostgreSQL server (postgresql)"
  "ShoalSystemTests ReplicaTests|two coordinators on a private PostgreSQL server (postgresql)"
  "ShoalSystemTests DashboardTests/everyPageShowsTheLiveFleetInABrowser|headless chromium"
)

if [ "$unit" = 1 ]; then
  for tool in curl openssl; do
    command -v "$tool" >/dev/null || {
      echo "test.sh --unit: '$tool' is missing; the system tests use it (sudo apt-get install $tool)" >&2
      exit 1
    }
  done
  suites=()
  echo "test.sh --unit: leaves out these groups (run scripts/test.sh as root for them):"
  for entry in "${privileged[@]}"; do
    group="${entry%%|*}"
    printf '  %-42s needs %s\n' "${group/ /.}" "${entry#*|}"
    suites+=("${group#* }")
  done
  # Test ids look like Module.Suite/test() or Module.Parent/Suite/test().
  skip="[./]($(IFS='|'; echo "${suites[*]}"))[/(]"
  swift build --build-tests
  swift test --skip-build --skip "$skip" ${passthrough[@]+"${passthrough[@]}"}
  exit
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the whole suite needs root: it boots real systemd nodes (systemd-nspawn, network"
  echo "namespaces, mounts) and runs a private dockerd. It also needs these packages:"
  scripts/install-test-deps.sh --check || true
  echo
  echo "Run it as root, which installs what is missing first:   sudo env PATH=\"\$PATH\" scripts/test.sh"
  echo "or, without root, everything that needs neither:        scripts/test.sh --unit"
  exit 1
fi
scripts/install-test-deps.sh
# The packaging tests check the static release agent and the .debs: build them first
# (.build-release/dist; incremental after the first time).
scripts/build-release.sh
swift build --build-tests
swift test --skip-build ${passthrough[@]+"${passthrough[@]}"}
# The store conformance suites (Tests/ShoalCoordinatorTests/Conformance, one suite per file)
# once more, on a real PostgreSQL server: every FleetStore backend must pass them.
if [ ${#passthrough[@]} -eq 0 ]; then
  conformance="$(cd Tests/ShoalCoordinatorTests/Conformance && ls *Tests.swift | grep -v '+' | sed 's/\.swift$//' | paste -sd'|')"
  SHOAL_TEST_STORE=postgres swift test --skip-build --filter "ShoalCoordinatorTests\.($conformance)/"
fi

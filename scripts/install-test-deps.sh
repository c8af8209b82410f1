#!/usr/bin/env bash
# Installs, from Debian/Ubuntu packages, what the full test suite needs beyond Swift itself,
# and the Python modules Debian packages too old or not at all (securesystemslib,
# schemathesis, with pip into the python3 on PATH), and says what and why. Needs root (apt-get); changes nothing when
# everything is there, so it is safe to run again. scripts/test.sh runs it when it is root;
# .ci/run runs it too.
#
#   scripts/install-test-deps.sh            install what is missing (root)
#   scripts/install-test-deps.sh --check    list what is missing, install nothing; exit 1 if anything is
#
# Installing never starts a service on this machine (sshd, dockerd, postgresql): the tests start their own
# private ones.
set -euo pipefail

# package|why — one line each; `--check` prints the why of what is missing.
readonly wanted=(
  "curl|the system tests call the API as an admin would"
  "openssl|tests check certificates and CSRs with the real openssl"
  "libsqlite3-dev|the coordinator's store (GRDB links the system SQLite)"
  "ca-certificates|HTTPS to the apt mirror for the testbed"
  "python3|the testbed's apt proxy"
  "debootstrap|builds the testbed's Debian 12 root filesystem (real systemd nodes)"
  "debian-archive-keyring|lets debootstrap verify Debian's archive on an Ubuntu host too"
  "systemd-container|systemd-nspawn boots the testbed nodes"
  "iproute2|network namespaces and veth pairs for the testbed nodes"
  "util-linux|nsenter, flock, setsid and script (pseudo-terminal tests)"
  "openssh-client|coordinator enroll/unenroll drive the real ssh"
  "openssh-server|the ssh_hardening step runs sshd -t on private configs (sshd is never started)"
  "docker.io|docker_container/docker_engine steps run against a private dockerd"
  "busybox-static|the tiny image those Docker tests import"
  "ufw|the ufw step drives the real ufw on a private copy of its files"
  "passwd|the user and group steps run the real useradd/groupadd on copied account files"
  "dpkg-dev|packaging tests build the .debs"
  "lintian|packaging tests lint the .debs"
  "binutils|readelf/objdump/strip check the static release binaries"
  "file|packaging tests check what the binaries are"
  "libstdc++-12-dev|the static release agent links libstdc++ statically"
  "zlib1g-dev|the static release agent links zlib statically"
  "systemd|systemd-analyze scores the shipped units (packaging tests)"
  "chromium|DashboardTests load every dashboard page in headless Chromium and save screenshots"
  "prometheus|promtool lints the coordinator's live /metrics scrape (MetricsTests); its service is not started"
  "postgresql|PostgresServerTests start a private PostgreSQL (initdb/pg_ctl into a temp dir, as the postgres user); its service is not started"
)

# pip requirement|what must import|why — installed with pip into the python3 on PATH (the one
# the tests run): Debian 12's python3-securesystemslib (0.26) has no securesystemslib.dsse.
readonly python_wanted=(
  "securesystemslib[crypto]|securesystemslib.dsse, securesystemslib.signer, cryptography|Tests/interop/verify_dsse.py checks Shoal's DSSE signatures with an independent implementation (TrustTests)"
  "schemathesis==4.32.5|schemathesis|scripts/api-fuzz.sh (run by .ci/run) checks a live coordinator against docs/openapi.json"
)

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "install-test-deps.sh: unknown argument '$1' (try --help)" >&2; exit 64 ;;
esac

if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  echo "install-test-deps.sh: this is not a Debian/Ubuntu machine (no dpkg-query/apt-get); install the equivalent of: ${wanted[*]%%|*}" >&2
  exit 1
fi

missing=()
for entry in "${wanted[@]}"; do
  package="${entry%%|*}"
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$entry")
done

python_missing=()
for entry in "${python_wanted[@]}"; do
  modules="${entry#*|}"
  modules="${modules%%|*}"
  python3 -c "import $modules" 2>/dev/null || python_missing+=("$entry")
done

if [ ${#missing[@]} -eq 0 ] && [ ${#python_missing[@]} -eq 0 ]; then
  echo "install-test-deps.sh: every package the tests need is installed"
  exit 0
fi

echo "install-test-deps.sh: missing for the full test suite:"
for entry in "${missing[@]}" "${python_missing[@]}"; do
  [ -n "$entry" ] || continue
  printf '  %-24s %s\n' "${entry%%|*}" "${entry##*|}"
done
names=("${missing[@]%%|*}")
requirements=("${python_missing[@]%%|*}")
# pip itself, from Debian, when the python3 on PATH has none (Debian's own python3).
if [ ${#python_missing[@]} -gt 0 ] && ! python3 -m pip --version >/dev/null 2>&1; then
  names+=(python3-pip)
fi

if [ "$check_only" = 1 ]; then
  hint=()
  [ ${#names[@]} -eq 0 ] || hint+=("sudo apt-get install ${names[*]}")
  [ ${#requirements[@]} -eq 0 ] || hint+=("sudo python3 -m pip install '${requirements[*]}'")
  echo "install them with: sudo scripts/install-test-deps.sh   (or: $(IFS=';'; echo "${hint[*]}" | sed 's/;/; /g'))"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps.sh: installing needs root: sudo scripts/install-test-deps.sh" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Installing must not start services on this machine (sshd, dockerd, postgresql): tests start their own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
if [ ${#names[@]} -gt 0 ]; then
  echo "install-test-deps.sh: apt-get install ${names[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${names[@]}"
  echo "install-test-deps.sh: installed ${#names[@]} package(s)"
fi
if [ ${#requirements[@]} -gt 0 ]; then
  # A Debian python3 is "externally managed": the break-system-packages switch lets pip put
  # the module in /usr/local beside it (pyenv's and venvs' pip ignore both variables).
  echo "install-test-deps.sh: python3 -m pip install ${requirements[*]}"
  PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore python3 -m pip install -q "${requirements[@]}"
  for entry in "${python_wanted[@]}"; do
    modules="${entry#*|}"
    modules="${modules%%|*}"
    python3 -c "import $modules" || { echo "install-test-deps.sh: pip ran, yet python3 still cannot import $modules" >&2; exit 1; }
  done
  echo "install-test-deps.sh: installed ${#requirements[@]} Python module(s)"
fi

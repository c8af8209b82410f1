#!/usr/bin/env bash
# Real-node testbed: Debian 12 (bookworm) nodes booted with systemd-nspawn, each in its own
# network namespace with a private /30 to the host. See README.md next to this file.
set -euo pipefail

readonly PREFIX="shoaltb-"
readonly RECIPE="bookworm-v1" # bump when the base rootfs recipe changes, so caches rebuild
readonly CACHE="${SHOAL_TESTBED_CACHE:-/var/cache/shoal-testbed}"
readonly STATE="${SHOAL_TESTBED_STATE:-/var/lib/shoal-testbed}"
readonly BASE="$CACHE/$RECIPE"
readonly KEY="$CACHE/ssh/id_ed25519"
readonly BOOT_TIMEOUT="${SHOAL_TESTBED_BOOT_TIMEOUT:-120}"
readonly STOP_TIMEOUT="${SHOAL_TESTBED_STOP_TIMEOUT:-20}"
readonly PROXY_PORT=3142
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly NODE_PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

usage() {
    cat <<EOF
usage: $(basename "$0") COMMAND [ARGS]

  prepare                    check host tools, mount the nspawn tmpfs, build or reuse the
                             cached base rootfs ($BASE) and the harness SSH key
  up NAME [--bind-ro PATH]... [--cpus N] [--memory SIZE]
                             boot node NAME (1-7 chars, [a-z0-9], starting with a letter),
                             wait until systemd is running, print its IP
  exec NAME -- CMD...        run CMD inside the node as root; stdio and exit status pass through
  copy NAME SRC DEST [MODE]  copy host file SRC to DEST inside the node (default mode 0755)
  ssh NAME [CMD...]          ssh to the node as root with the harness key (BatchMode)
  ip NAME                    print the node's IP
  host-ip NAME               print the host-side IP of the node's link (its apt proxy listens there)
  ssh-key                    print the path of the harness private key
  down NAME                  power the node off (bounded), remove its netns, veth, overlay, dirs
  down-all                   remove everything the harness made (found by the '$PREFIX' prefix)
  list                       list nodes: NAME IP STATE

Environment: SHOAL_TESTBED_CACHE (default /var/cache/shoal-testbed),
SHOAL_TESTBED_STATE (default /var/lib/shoal-testbed), SHOAL_TESTBED_MIRROR (default: the
host's apt mirror), SHOAL_TESTBED_BOOT_TIMEOUT (seconds, default 120).
EOF
}

die() { echo "testbed: $*" >&2; exit 1; }
log() { echo "testbed: $*" >&2; }

require_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces and mounts)"; }

check_name() {
    [[ "${1:-}" =~ ^[a-z][a-z0-9]{0,6}$ ]] \
        || die "bad node name '${1:-}': use 1-7 chars [a-z0-9] starting with a letter (interface names are limited to 15 chars)"
}

node_dir() { echo "$STATE/nodes/$1"; }
netns_of() { echo "$PREFIX$1"; }

# The host's Debian mirrors, from its apt sources, so the testbed uses the same mirror in CI.
# Prints "MIRROR SECURITY" (security may be "-").
host_mirrors() {
    local uris mirror security
    uris=$( { grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
              grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
                  | sed -E 's/\[[^]]*\]//' | awk '{print $2}'; } | grep -E '^https?://' || true)
    mirror="${SHOAL_TESTBED_MIRROR:-$(echo "$uris" | grep -E '/debian/?$' | head -n1)}"
    security="$(echo "$uris" | grep -E '/debian-security/?$' | head -n1)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    echo "${mirror%/} ${security:--}"
}

host_of_uri() { echo "$1" | sed -E 's#^[a-z]+://([^/:]+).*#\1#'; }

check_tools() {
    local missing=()
    for tool in debootstrap systemd-nspawn ip nsenter ssh ssh-keygen flock setsid mountpoint python3; do
        command -v "$tool" >/dev/null || missing+=("$tool")
    done
    ((${#missing[@]} == 0)) \
        || die "missing tools: ${missing[*]}; install with: apt-get install -y debootstrap systemd-container iproute2 openssh-client util-linux python3"
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || die "the kernel has no overlayfs; nodes need it for their root"
}

mount_nspawn_tmpfs() {
    # Without systemd on the host nothing mounts /run/systemd/nspawn; nspawn needs it writable.
    mkdir -p /run/systemd/nspawn
    mountpoint -q /run/systemd/nspawn || mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn
}

build_base() {
    local tmp="$CACHE/.$RECIPE.tmp.$$" mirror security start
    read -r mirror security < <(host_mirrors)
    [[ "$mirror" == http://* ]] || log "warning: mirror $mirror is not plain http; the node apt proxy only forwards http"
    rm -rf "$CACHE"/."$RECIPE".tmp.* # leftovers of a crashed build (we hold the lock)
    mkdir -p "$tmp"
    start=$(date +%s)
    log "building base rootfs from $mirror (a few minutes, once)"
    if ! debootstrap --variant=minbase --components=main \
        --include=systemd,systemd-sysv,openssh-server,dbus,iproute2,sudo,ca-certificates,procps \
        bookworm "$tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1; then
        tail -n 20 "$CACHE/debootstrap.log" >&2
        rm -rf "$tmp"
        die "debootstrap failed (full log: $CACHE/debootstrap.log)"
    fi
    {
        echo "deb $mirror bookworm main"
        echo "deb $mirror bookworm-updates main"
        [[ "$security" == "-" ]] || echo "deb ${security%/} bookworm-security main"
    } >"$tmp/etc/apt/sources.list"
    printf 'Acquire::Languages "none";\n' >"$tmp/etc/apt/apt.conf.d/90testbed-nolanguages"
    # Each node gets its own host keys and a transient machine id at boot.
    rm -f "$tmp"/etc/ssh/ssh_host_*
    : >"$tmp/etc/machine-id"
    rm -f "$tmp/var/lib/dbus/machine-id"
    printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n' \
        >"$tmp/etc/ssh/sshd_config.d/testbed.conf"
    # Background apt runs would take the dpkg lock in the middle of a test.
    for unit in apt-daily.timer apt-daily-upgrade.timer; do
        ln -sf /dev/null "$tmp/etc/systemd/system/$unit"
    done
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
    mv -T "$tmp" "$BASE"
    log "base rootfs built in $(($(date +%s) - start))s: $BASE"
}

cmd_prepare() {
    require_root
    check_tools
    mount_nspawn_tmpfs
    mkdir -p "$CACHE" "$STATE/nodes" "$CACHE/debs"
    if [[ ! -d "$BASE" ]]; then
        exec 9>"$CACHE/.build.lock"
        flock 9
        [[ -d "$BASE" ]] || build_base
        exec 9>&-
    fi
    if [[ ! -f "$KEY" ]]; then
        exec 9>"$CACHE/.key.lock"
        flock 9
        if [[ ! -f "$KEY" ]]; then
            mkdir -p "$(dirname "$KEY")"
            chmod 700 "$(dirname "$KEY")"
            ssh-keygen -q -t ed25519 -N '' -C shoal-testbed -f "$KEY.tmp"
            mv "$KEY.tmp.pub" "$KEY.pub"
            mv "$KEY.tmp" "$KEY"
        fi
        exec 9>&-
    fi
}

# The node's PID 1 (systemd) as seen from the host: the process in the node's netns whose
# PID namespace has it as PID 1.
leader_pid() {
    local ns pid
    ns=$(netns_of "$1")
    [[ -e "/run/netns/$ns" ]] || return 1
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        if grep -qE '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$pid/status" 2>/dev/null; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

in_node() {
    local leader
    leader=$(leader_pid "$1") || die "node $1 is not running (see: $0 list)"
    shift
    nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd \
        -- /usr/bin/env -i PATH="$NODE_PATH" HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb "$@"
}

node_index() { cat "$(node_dir "$1")/index" 2>/dev/null; }
node_ip() { echo "10.213.$(node_index "$1").2"; }
host_ip() { echo "10.213.$(node_index "$1").1"; }

allocate_index() {
    local dir=$1 used n
    exec 8>"$STATE/.index.lock"
    flock 8
    used=" $(cat "$STATE"/nodes/*/index 2>/dev/null | tr '\n' ' ' || true) "
    for ((n = 1; n <= 254; n++)); do
        if [[ "$used" != *" $n "* ]] && ! ip -4 -o addr show | grep -q " 10\.213\.$n\."; then
            echo "$n" >"$dir/index"
            exec 8>&-
            return 0
        fi
    done
    exec 8>&-
    die "no free 10.213.N.0/30 subnet (254 nodes up?); run: $0 down-all"
}

# cgroup v1 limits (this host runs a v1/hybrid hierarchy without systemd), made under the
# caller's own cgroup so they nest inside whatever limits the caller already has.
cgroup_paths() {
    local name=$1 controller rel
    for controller in cpu memory; do
        [[ -d "/sys/fs/cgroup/$controller" ]] || continue
        rel=$(awk -F: -v c="$controller" '{n=split($2, a, ","); for (i=1;i<=n;i++) if (a[i]==c) print $3}' /proc/self/cgroup | head -n1)
        echo "/sys/fs/cgroup/$controller${rel%/}/$PREFIX$name"
    done
}

setup_limits() {
    local name=$1 cpus=$2 memory=$3 dir=$4 path
    [[ -z "$cpus" && -z "$memory" ]] && return 0
    [[ -f /sys/fs/cgroup/cgroup.controllers ]] && die "--cpus/--memory support cgroup v1 hosts only (this host runs cgroup v2)"
    for path in $(cgroup_paths "$name"); do
        mkdir -p "$path"
        echo "$path" >>"$dir/cgroups"
        case "$path" in
            /sys/fs/cgroup/cpu/*)
                if [[ -n "$cpus" ]]; then
                    echo 100000 >"$path/cpu.cfs_period_us"
                    echo $((cpus * 100000)) >"$path/cpu.cfs_quota_us"
                fi ;;
            /sys/fs/cgroup/memory/*)
                [[ -n "$memory" ]] && echo "$memory" >"$path/memory.limit_in_bytes" ;;
        esac
    done
}

cmd_up() {
    local name="${1:-}" binds=() cpus="" memory="" dir root ns ip hip n leader start
    check_name "$name"
    shift
    while (($#)); do
        case "$1" in
            --bind-ro) binds+=("--bind-ro=${2:?--bind-ro needs a path}"); shift 2 ;;
            --cpus) cpus="${2:?--cpus needs a number}"; [[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus takes a whole number"; shift 2 ;;
            --memory) memory="${2:?--memory needs a size}"; [[ "$memory" =~ ^[1-9][0-9]*[KMG]?$ ]] || die "--memory takes a size like 512M"; shift 2 ;;
            *) die "up: unknown option '$1'" ;;
        esac
    done
    cmd_prepare
    start=$(date +%s%N)
    dir=$(node_dir "$name")
    if [[ -d "$dir" ]]; then
        leader_pid "$name" >/dev/null && die "node $name is already up ($(node_ip "$name")); run: $0 down $name"
        log "removing leftovers of an earlier node $name"
        cmd_down "$name"
    fi
    ns=$(netns_of "$name")
    # Leftovers without a node dir (crash between steps).
    ip link show "$ns" >/dev/null 2>&1 && ip link del "$ns"
    [[ -e "/run/netns/$ns" ]] && ip netns del "$ns"

    mkdir -p "$dir"/{upper,work,root}
    allocate_index "$dir"
    n=$(node_index "$name")
    ip="10.213.$n.2"
    hip="10.213.$n.1"
    root="$dir/root"
    mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$dir/upper,workdir=$dir/work" "$root"

    # Per-node identity and access, written before boot.
    echo "$name" >"$root/etc/hostname"
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n%s testbed-host\n' "$name" "$hip" >"$root/etc/hosts"
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$root/etc/ssh/ssh_host_ed25519_key"
    install -d -m 700 "$root/root/.ssh"
    install -m 600 "$KEY.pub" "$root/root/.ssh/authorized_keys"
    printf 'Acquire::http::Proxy "http://%s:%s/";\nAcquire::https::Proxy "DIRECT";\n' "$hip" "$PROXY_PORT" \
        >"$root/etc/apt/apt.conf.d/90testbed-proxy"

    ip netns add "$ns"
    ip link add "$ns" type veth peer name eth0 netns "$ns"
    ip addr add "$hip/30" dev "$ns"
    ip link set "$ns" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$ip/30" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$hip"

    start_proxy "$name" "$hip" "$dir"
    setup_limits "$name" "$cpus" "$memory" "$dir"

    # setsid: the node outlives this script and is not in the caller's process group.
    local cgroup_procs=""
    [[ -f "$dir/cgroups" ]] && cgroup_procs=$(sed 's#$#/cgroup.procs#' "$dir/cgroups" | tr '\n' ' ')
    detach bash -c 'for f in $1; do echo $$ >"$f"; done; shift; exec "$@"' testbed-node "$cgroup_procs" \
        systemd-nspawn --quiet --register=no --keep-unit --boot --directory="$root" \
        --machine="$ns" --hostname="$name" --network-namespace-path="/run/netns/$ns" \
        --resolv-conf=off --timezone=off --link-journal=no --console=read-only \
        ${binds[@]+"${binds[@]}"} \
        </dev/null >"$dir/nspawn.log" 2>&1 &
    echo $! >"$dir/nspawn.pid"

    local deadline=$((SECONDS + BOOT_TIMEOUT)) status=""
    while ((SECONDS < deadline)); do
        if leader=$(leader_pid "$name"); then
            status=$(in_node "$name" systemctl is-system-running 2>/dev/null || true)
            [[ "$status" == running || "$status" == degraded ]] && break
        fi
        kill -0 "$(cat "$dir/nspawn.pid")" 2>/dev/null || { status="nspawn exited"; break; }
        sleep 0.3
    done
    if [[ "$status" != running && "$status" != degraded ]]; then
        log "node $name did not reach running within ${BOOT_TIMEOUT}s (last state: ${status:-none}); nspawn log:"
        tail -n 30 "$dir/nspawn.log" >&2 || true
        cmd_down "$name" || true
        exit 1
    fi
    log "node $name $status after $((($(date +%s%N) - start) / 1000000))ms"
    echo "$ip"
}

# Runs a daemon in its own session with only stdin/stdout/stderr: an inherited descriptor
# (e.g. the pipe or socket a caller like Foundation's Process watches to learn that this
# script exited) would otherwise stay open for the daemon's lifetime and the caller would hang.
detach() { # always run in the background (&): exec replaces that subshell, so $! is the daemon
    exec setsid bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-"; done; exec "$@"' testbed-detach "$@"
}

start_proxy() {
    local name=$1 hip=$2 dir=$3 mirror security allow python deadline
    read -r mirror security < <(host_mirrors)
    allow=$(host_of_uri "$mirror")
    [[ "$security" == "-" ]] || allow="$allow,$(host_of_uri "$security")"
    # Prefer the distribution python: it is what CI images have.
    python=/usr/bin/python3
    [[ -x "$python" ]] || python=$(command -v python3)
    detach "$python" "$HERE/apt-proxy.py" --listen "$hip" --port "$PROXY_PORT" --allow "$allow" \
        --cache "$CACHE/debs" --tag "$PREFIX$name" </dev/null >"$dir/proxy.log" 2>&1 &
    echo $! >"$dir/proxy.pid"
    deadline=$((SECONDS + 10))
    until grep -q '^listening' "$dir/proxy.log" 2>/dev/null; do
        ((SECONDS < deadline)) && kill -0 "$(cat "$dir/proxy.pid")" 2>/dev/null \
            || { cat "$dir/proxy.log" >&2; die "apt proxy for $name did not start"; }
        sleep 0.1
    done
}

# Kills a pid and waits (bounded) for it to go; quiet when it is already gone.
kill_wait() {
    local pid=$1 signal=$2 timeout=$3 deadline
    [[ -n "$pid" ]] || return 0
    kill "-$signal" "$pid" 2>/dev/null || return 0
    deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# Processes whose command line names this node's tag (nspawn's --machine, the proxy's --tag).
tagged_pids() {
    local tag="$PREFIX$1" pid
    for pid in /proc/[0-9]*; do
        pid=${pid#/proc/}
        [[ $pid == "$$" ]] && continue
        { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qE -- "(--machine=|--tag )$tag( |$)" && echo "$pid"
    done
    return 0
}

cmd_down() {
    local name="${1:-}" dir ns pid leader mnt
    check_name "$name"
    require_root
    dir=$(node_dir "$name")
    ns=$(netns_of "$name")
    # A clean poweroff first: SIGTERM makes nspawn ask the node's systemd to shut down.
    if [[ -f "$dir/nspawn.pid" ]] && pid=$(cat "$dir/nspawn.pid") && kill -0 "$pid" 2>/dev/null; then
        if ! kill_wait "$pid" TERM "$STOP_TIMEOUT"; then
            log "node $name did not power off within ${STOP_TIMEOUT}s; killing it"
            kill_wait "$pid" KILL 5 || true
        fi
    fi
    # Whatever is left: processes in the netns, tagged processes (proxy), the node's cgroups.
    if [[ -e "/run/netns/$ns" ]]; then
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    for pid in $(tagged_pids "$name"); do kill_wait "$pid" TERM 3 || kill -KILL "$pid" 2>/dev/null || true; done
    for pid in $(tagged_pids "$name"); do kill -KILL "$pid" 2>/dev/null || true; done
    if [[ -e "/run/netns/$ns" ]]; then
        local deadline=$((SECONDS + 5))
        while [[ -n "$(ip netns pids "$ns" 2>/dev/null)" ]] && ((SECONDS < deadline)); do sleep 0.1; done
    fi
    ip link show "$ns" >/dev/null 2>&1 && ip link del "$ns"
    [[ -e "/run/netns/$ns" ]] && ip netns del "$ns"
    # nspawn's image lock file is named after the root's device and inode; drop it with the node.
    if mountpoint -q "$dir/root" 2>/dev/null; then
        rm -f "/run/systemd/nspawn/locks/$(stat -c 'inode-%d:%i' "$dir/root")"
    fi
    for mnt in $(awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
        umount "$mnt" 2>/dev/null || umount -l "$mnt"
    done
    rm -rf "/run/systemd/nspawn/propagate/$ns" "/run/systemd/nspawn/unix-export/$ns" 2>/dev/null || true
    for mnt in $(cgroup_paths "$name") $(cat "$dir/cgroups" 2>/dev/null); do
        [[ -d "$mnt" ]] && { rmdir "$mnt" 2>/dev/null || log "cgroup $mnt still busy"; }
    done
    # Never delete through a live mount.
    if awk -v d="$dir/" 'index($2, d) == 1 {found=1} END {exit !found}' /proc/mounts; then
        die "node $name: mounts under $dir remain; not deleting it"
    fi
    rm -rf "$dir"
}

cmd_down_all() {
    require_root
    local names=() name
    for name in "$STATE"/nodes/*; do [[ -d "$name" ]] && names+=("${name##*/}"); done
    for name in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX" || true); do names+=("${name#"$PREFIX"}"); done
    for name in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$PREFIX" || true); do names+=("${name#"$PREFIX"}"); done
    for name in $(printf '%s\n' ${names[@]+"${names[@]}"} | sort -u); do
        [[ "$name" =~ ^[a-z][a-z0-9]{0,6}$ ]] || continue
        log "down $name"
        cmd_down "$name"
    done
}

cmd_list() {
    local dir name state
    for dir in "$STATE"/nodes/*; do
        [[ -d "$dir" ]] || continue
        name=${dir##*/}
        if leader_pid "$name" >/dev/null; then state=up; else state=down; fi
        echo "$name $(node_ip "$name" 2>/dev/null || echo -) $state"
    done
}

cmd_ssh() {
    local name="${1:-}"
    check_name "$name"
    shift
    [[ "${1:-}" == "--" ]] && shift
    exec ssh -i "$KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o LogLevel=ERROR -o ConnectTimeout=10 "root@$(node_ip "$name")" "$@"
}

cmd_copy() {
    local name="${1:-}" src="${2:-}" dest="${3:-}" mode="${4:-0755}"
    check_name "$name"
    [[ -f "$src" && -n "$dest" ]] || die "usage: copy NAME SRC DEST [MODE]"
    # Written from inside the node, so paths (and symlinks) resolve in the node's root.
    in_node "$name" /bin/sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1.testbed-tmp" && chmod "$2" "$1.testbed-tmp" && mv -f "$1.testbed-tmp" "$1"' \
        sh "$dest" "$mode" <"$src"
}

main() {
    local command="${1:-}"
    (($#)) && shift
    case "$command" in
        prepare) cmd_prepare ;;
        up) require_root; cmd_up "$@" ;;
        exec)
            local name="${1:-}"
            check_name "$name"
            shift
            [[ "${1:-}" == "--" ]] && shift
            (($#)) || die "usage: exec NAME -- CMD..."
            in_node "$name" "$@" ;;
        copy) cmd_copy "$@" ;;
        ssh) cmd_ssh "$@" ;;
        ip) check_name "${1:-}"; [[ -f "$(node_dir "$1")/index" ]] || die "no node $1"; node_ip "$1" ;;
        host-ip) check_name "${1:-}"; [[ -f "$(node_dir "$1")/index" ]] || die "no node $1"; host_ip "$1" ;;
        ssh-key) [[ -f "$KEY" ]] || die "no key yet; run: $0 prepare"; echo "$KEY" ;;
        down) cmd_down "$@" ;;
        down-all) cmd_down_all ;;
        list) cmd_list ;;
        -h | --help | help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"

#!/usr/bin/env bash
# Release binaries for packaging (see packaging/README.md).
#
#   scripts/build-release.sh [--out DIR] [--agent-only] [--shared-libstdc++]
#
# Builds with its own scratch path (.build-release, git-ignored), so it never fights the
# debug build in .build for its lock or its artefacts:
#   - agent:       -c release --static-swift-stdlib, libstdc++ and zlib linked statically
#                  too, no exported dynamic symbols, stripped. It must need only glibc-level
#                  libraries; anything else fails the build.
#   - coordinator: -c release --static-swift-stdlib, stripped. libsqlite3.so.0 (GRDB uses the
#                  system SQLite) stays a dynamic dependency, declared by its .deb.
# --shared-libstdc++ keeps libstdc++.so.6 dynamic: the static one (gcc 12) calls arc4random,
# which raises the glibc floor from 2.35 to 2.36 (Ubuntu 22.04 has 2.35).
# Output in DIR (default .build-release/dist): agent, coordinator, and BUILD-INFO (sizes,
# NEEDED lists, highest GLIBC symbol version, toolchain) for the docs and the packaging.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scratch="$root/.build-release"
out="$scratch/dist"
agent_only=0
shared_libstdcxx=0

while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        --agent-only) agent_only=1; shift ;;
        --shared-libstdc++) shared_libstdcxx=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-release.sh: unknown argument '$1'" >&2; exit 64 ;;
    esac
done

for tool in swift strip readelf objdump; do
    command -v "$tool" >/dev/null || { echo "build-release.sh: '$tool' not found (binutils, Swift toolchain)" >&2; exit 1; }
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Libraries a release binary may need at run time: glibc itself and the gcc runtime every
# glibc system has. Nothing from the Swift toolchain, no libstdc++ (linked in statically).
agent_allowed='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1)$'
coordinator_allowed='^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1|libsqlite3\.so\.0)$'

# --static-swift-stdlib links libswiftCore, Foundation (with ICU data) and libdispatch as
# archives, but the link line still says plain `-lstdc++` (the toolchain's
# static-stdlib-args.lnk, and SwiftPM for the C++ targets: BoringSSL) and `-lz`
# (swift-nio-extras' CNIOExtrasZlib, via AsyncHTTPClient), which pick libstdc++.so.6 and
# libz.so.1. `-Xlinker` flags land after those on the command line, too late to change it.
# The products directory is the first -L directory SwiftPM passes, ahead of the system
# ones; ld takes libNAME.a from the first directory holding libNAME.so or libNAME.a, so
# symlinks to the archives there make both link statically without touching any flags
# (flags that reach swiftc would recompile every module).
static_archives=(libstdc++.a libz.a)
if [ "$shared_libstdcxx" = 1 ]; then
    static_archives=(libz.a)
    agent_allowed="${agent_allowed%)\$}|libstdc\+\+\.so\.6)\$"
    coordinator_allowed="${coordinator_allowed%)\$}|libstdc\+\+\.so\.6)\$"
fi
clang="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
link_static_archives() {
    local products="$1" archive path
    mkdir -p "$products"
    rm -f "$products/libstdc++.a" "$products/libz.a"
    for archive in "${static_archives[@]}"; do
        path="$("$clang" -print-file-name="$archive")"
        if [ "${path#/}" = "$path" ] || [ ! -f "$path" ]; then
            echo "build-release.sh: $archive not found (apt-get install -y libstdc++-12-dev zlib1g-dev)" >&2
            exit 1
        fi
        ln -sfn "$path" "$products/$archive"
    done
}

# Full RELRO: the GOT is read-only after start (lintian: hardening-no-bindnow).
hardening=(-Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now)

# Static libstdc++ calls arc4random (glibc 2.36+); our own definition keeps the floor at
# glibc 2.35 so one agent binary runs on Ubuntu 22.04 as well as Debian 12 / Ubuntu 24.04.
mkdir -p "$scratch"
compat="$scratch/glibc-compat-arc4random.o"
"$(dirname "$(readlink -f "$(command -v swift)")")/clang" -O2 -fPIC -c "$root/packaging/glibc-compat/arc4random.c" -o "$compat"
hardening+=(-Xlinker "$compat")

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
glibc_floor() {
    objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -u -V | tail -n 1
}
size_of() { stat -c %s "$1"; }
human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

info="$out/BUILD-INFO"
{
    echo "# scripts/build-release.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "toolchain: $(swift --version 2>/dev/null | head -n 1)"
    echo "build_host: $(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -n 1)"
    echo "arch: $(uname -m)"
} >"$info"

# build PRODUCT ALLOWED_REGEX EXTRA_FLAGS...
build() {
    local product="$1" allowed="$2"
    shift 2
    local flags=(-c release --static-swift-stdlib --scratch-path "$scratch" --product "$product" "$@")
    echo "== swift build ${flags[*]}"
    local products bin
    products="$(cd "$root" && swift build "${flags[@]}" --show-bin-path)"
    bin="$products/$product"
    link_static_archives "$products"
    # Always relink: the archives above are not inputs SwiftPM tracks.
    rm -f "$bin"
    local start=$SECONDS
    (cd "$root" && swift build "${flags[@]}")
    local elapsed=$((SECONDS - start))

    cp -f "$bin" "$out/$product.unstripped"
    cp -f "$bin" "$out/$product"
    strip --strip-all --remove-section=.comment "$out/$product"
    local before after
    before=$(size_of "$out/$product.unstripped")
    after=$(size_of "$out/$product")
    rm -f "$out/$product.unstripped"

    local libs floor bad
    libs="$(needed "$out/$product")"
    floor="$(glibc_floor "$out/$product")"
    echo "== $product: built in ${elapsed}s; size $(human "$before") before strip, $(human "$after") after"
    echo "== $product NEEDED: $(echo "$libs" | tr '\n' ' ')"
    echo "== $product highest GLIBC symbol version: $floor"
    {
        echo "$product.build_seconds: $elapsed"
        echo "$product.size_unstripped: $before"
        echo "$product.size_stripped: $after"
        echo "$product.needed: $(echo "$libs" | tr '\n' ' ' | sed 's/ $//')"
        echo "$product.glibc_floor: $floor"
    } >>"$info"

    bad="$(echo "$libs" | grep -Ev "$allowed" || true)"
    if [ -n "$bad" ]; then
        echo "build-release.sh: $product needs libraries outside its allowed set: $(echo "$bad" | tr '\n' ' ')" >&2
        echo "  (ldd $out/$product shows where each comes from)" >&2
        exit 1
    fi
}

# The toolchain's static-stdlib-args.lnk links with -export-dynamic: every global symbol goes
# into .dynsym/.dynstr/.gnu.hash with its relocations (4.7 MB of the agent), and, exported,
# stays a root for --gc-sections. Nothing dlopens the agent or looks its symbols up by name,
# so take it back (ld keeps the last of the two flags). Crash backtraces lose function names,
# which the stripped binary had no .symtab for anyway.
agent_link=(-Xlinker --no-export-dynamic)
build agent "$agent_allowed" "${hardening[@]}" "${agent_link[@]}"
if [ "$agent_only" = 0 ]; then
    build coordinator "$coordinator_allowed" "${hardening[@]}"
fi
echo "== wrote $out ($(ls "$out" | tr '\n' ' '))"

#!/usr/bin/env bash
# Debian packages from the release binaries (see packaging/README.md).
#
#   packaging/build-debs.sh [--version V] [--out DIR] [--dist DIR] [--no-lintian]
#
# --dist  where scripts/build-release.sh put agent and coordinator (default .build-release/dist)
# --out   where the .debs go (default: the dist dir)
# --version  package version (default: ShoalVersion.current from the sources)
#
# Writes shoal-agent_V_ARCH.deb and shoal-coordinator_V_ARCH.deb, built with
# `dpkg-deb --root-owner-group --build`, and runs lintian on them when it is installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
dist="$root/.build-release/dist"
out=""
version=""
run_lintian=1

while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="${2:?--version needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        --dist) dist="${2:?--dist needs a directory}"; shift 2 ;;
        --no-lintian) run_lintian=0; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-debs.sh: unknown argument '$1'" >&2; exit 64 ;;
    esac
done

if [ -z "$version" ]; then
    version="$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' "$root/Sources/ShoalCore/Support/ShoalVersion.swift")"
fi
if ! printf '%s' "$version" | grep -Eq '^[0-9][A-Za-z0-9.+~-]*$'; then
    echo "build-debs.sh: '$version' is not a Debian version" >&2
    exit 64
fi
for binary in agent coordinator; do
    if [ ! -x "$dist/$binary" ]; then
        echo "build-debs.sh: $dist/$binary missing; run scripts/build-release.sh first" >&2
        exit 1
    fi
done
out="${out:-$dist}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

arch="$(dpkg --print-architecture)"
maintainer="Shoal maintainers <maintainers@users.noreply.b-seed-9be389cd.example>"
# Reproducible dates: the changelog and file mtimes follow SOURCE_DATE_EPOCH when set.
epoch="${SOURCE_DATE_EPOCH:-$(date +%s)}"
export SOURCE_DATE_EPOCH="$epoch"

work="$(mktemp -d "${TMPDIR:-/tmp}/shoal-debs.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Runtime dependencies of one binary, as dpkg-shlibdeps works them out from the libraries
# it needs (libc6 version from the highest GLIBC symbol version, libsqlite3-0, ...).
shlib_depends() {
    local binary="$1" package="$2"
    local dir="$work/shlibdeps-$package"
    mkdir -p "$dir/debian"
    printf 'Source: shoal\n\nPackage: %s\nArchitecture: any\n' "$package" >"$dir/debian/control"
    (cd "$dir" && dpkg-shlibdeps -O "$binary" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# Copies a unit from the source tree, pointing it at the packaged binary and docs, with
# a start condition. Fails if the asset no longer has the line to rewrite.
install_unit() {
    local source="$1" target="$2" binary="$3" docname="$4" condition="$5"
    install -D -m 0644 "$source" "$target"
    sed -i \
        -e "s|^ExecStart=/usr/local/bin/|ExecStart=/usr/bin/|" \
        -e "s|^Documentation=file:///usr/share/doc/shoal/|Documentation=file:///usr/share/doc/$docname/|" \
        -e "s|^\[Unit\]\$|[Unit]\n# Installed by the $docname package; do not start before it is configured.\nConditionPathExists=$condition|" \
        "$target"
    if ! grep -q "^ExecStart=/usr/bin/$binary " "$target"; then
        echo "build-debs.sh: $target: ExecStart is not /usr/bin/$binary after rewriting $source" >&2
        exit 1
    fi
}

changelog() {
    local package="$1" target="$2"
    mkdir -p "$(dirname "$target")"
    {
        echo "$package ($version) unstable; urgency=medium"
        echo
        echo "  * Release $version."
        echo
        echo " -- $maintainer  $(date -u -R -d "@$epoch")"
    } | gzip -9n >"$target"
}

build_package() {
    local package="$1" depends="$2"
    local stage="$work/$package"
    local summary description installed_size
    summary="$(head -n 1 "$here/$package/description")"
    description="$(tail -n +2 "$here/$package/description")"

    install -D -m 0644 "$here/copyright" "$stage/usr/share/doc/$package/copyright"
    changelog "$package" "$stage/usr/share/doc/$package/changelog.gz"
    install -m 0644 "$root/docs/operations.md" "$stage/usr/share/doc/$package/operations.md"

    mkdir -p "$stage/DEBIAN"
    for script in postinst prerm postrm; do
        install -m 0755 "$here/$package/$script" "$stage/DEBIAN/$script"
    done
    if [ -d "$stage/etc" ]; then
        (cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"
        chmod 0644 "$stage/DEBIAN/conffiles"
    fi
    installed_size="$(du -k -s --apparent-size --exclude=DEBIAN "$stage" | cut -f1)"
    local control="$stage/DEBIAN/control"
    while IFS= read -r line; do
        case "$line" in
            "Description: @SUMMARY@") echo "Description: $summary" ;;
            "@DESCRIPTION@") echo "$description" ;;
            *) echo "$line" | sed \
                -e "s|@PACKAGE@|$package|" -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" \
                -e "s|@MAINTAINER@|$maintainer|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
                -e "s|@DEPENDS@|$depends|" ;;
        esac
    done <"$here/control.in" >"$control"
    chmod 0644 "$control"

    (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
        | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
    chmod 0644 "$stage/DEBIAN/md5sums"
    # Normal permissions whatever the umask, and stable mtimes.
    find "$stage" -type d -exec chmod 0755 {} +
    find "$stage" -exec touch -h -d "@$epoch" {} +
    local deb="$out/${package}_${version}_${arch}.deb"
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
    echo "== $deb ($(stat -c %s "$deb") bytes)"
    dpkg-deb --info "$deb" | sed -n 's/^ \(Depends\|Installed-Size\):/   \1:/p'
}

# --- shoal-agent
stage="$work/shoal-agent"
install -D -m 0755 "$dist/agent" "$stage/usr/bin/shoal-agent"
install -D -m 0644 "$root/agent/assets/agent.yaml.example" "$stage/etc/shoal/agent.yaml.example"
install_unit "$root/agent/assets/shoal-agent.service" "$stage/lib/systemd/system/shoal-agent.service" \
    shoal-agent shoal-agent /etc/shoal/agent.yaml
build_package shoal-agent "$(shlib_depends "$stage/usr/bin/shoal-agent" shoal-agent)"

# --- shoal-coordinator
stage="$work/shoal-coordinator"
install -D -m 0755 "$dist/coordinator" "$stage/usr/bin/coordinator"
install_unit "$root/coordinator/assets/shoal-coordinator.service" \
    "$stage/lib/systemd/system/shoal-coordinator.service" coordinator shoal-coordinator \
    /var/lib/shoal/coordinator.yaml
mkdir -p "$stage/usr/share/shoal/profiles"
install -m 0644 "$root"/coordinator/profiles/*.yaml "$stage/usr/share/shoal/profiles/"
build_package shoal-coordinator "adduser, $(shlib_depends "$stage/usr/bin/coordinator" shoal-coordinator)"

if [ "$run_lintian" = 0 ]; then
    :
elif command -v lintian >/dev/null; then
    echo "== lintian (remaining tags are explained in packaging/README.md)"
    lintian --info --display-info \
        "$out/shoal-agent_${version}_${arch}.deb" "$out/shoal-coordinator_${version}_${arch}.deb" || true
else
    echo "== lintian not installed (apt-get install -y lintian); skipped"
fi

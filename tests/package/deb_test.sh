#!/usr/bin/env bash
# The Debian package as a user gets it: builds freightliner_VERSION_ARCH.deb with cpack in
# BUILD_DIR, installs it (apt-get as root, so that its Depends are resolved as on a fresh
# machine; without root, dpkg -x into a temporary root), then runs the installed binary:
# `freightliner version`, a replicate between two docker-registry instances on free loopback
# ports (the digest at the destination must equal the source's), the installed man page and bash
# completion; removes the package at the end. Prints one line "deb_test: PASS ..." or
# "deb_test: FAIL: why".
#   tests/package/deb_test.sh build/package
#   DEB_TEST_UNPACK=1 tests/package/deb_test.sh build/package   # dpkg -x even as root
set -euo pipefail

build_dir=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib/registries.sh
source "$repo/scripts/lib/registries.sh"

work=$(mktemp -d)
installed_by_us=""
fail() {
  echo "deb_test: FAIL: $*"
  exit 1
}
cleanup() {
  stop_pidfile "$work/src/pid"
  stop_pidfile "$work/dst/pid"
  if [ -n "$installed_by_us" ]; then
    apt-get remove -y -q freightliner >/dev/null 2>&1 || dpkg -r freightliner >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- build the package -------------------------------------------------------------------------
(cd "$build_dir" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) ||
  { tail -n 30 "$work/cpack.log"; fail "cpack -G DEB failed in $build_dir"; }
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build_dir/CPackConfig.cmake")
deb="$work/deb/freightliner_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || fail "no $deb (cpack made: $(ls "$work/deb"))"

# --- its metadata and contents -----------------------------------------------------------------
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = freightliner ] || fail "Package is $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version is $(field Version), want $version"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ "$(field Section)" = utils ] || fail "Section is $(field Section)"
for lib in libc6 libcurl4 libssl3 libre2-9 libmicrohttpd12 libsqlite3-0; do
  field Depends | grep -q "\b$lib\b" || fail "Depends lacks $lib: $(field Depends)"
done
contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
for path in ./usr/bin/freightliner ./usr/share/man/man1/freightliner.1.gz \
  ./usr/share/bash-completion/completions/freightliner \
  ./usr/share/zsh/vendor-completions/_freightliner \
  ./usr/share/doc/freightliner/examples/sync.yaml ./usr/share/doc/freightliner/examples/server.yaml \
  ./usr/share/doc/freightliner/LICENSE ./usr/share/doc/freightliner/copyright \
  ./usr/share/doc/freightliner/README.md ./usr/share/doc/freightliner/CHANGELOG.md; do
  grep -qx "$path" <<<"$contents" || fail "the package lacks $path"
done

# --- install -----------------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && [ -z "${DEB_TEST_UNPACK:-}" ]; then
  if dpkg-query -W -f='${Status}' freightliner 2>/dev/null | grep -q "install ok installed"; then
    fail "freightliner is already installed; remove it first (this test installs and removes it)"
  fi
  installed_by_us=yes
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "$deb" >"$work/apt.log" 2>&1 ||
    { tail -n 30 "$work/apt.log"; fail "apt-get install $deb failed"; }
  root=""
else
  root="$work/root"
  dpkg -x "$deb" "$root"
  echo "deb_test: unpacked with dpkg -x instead of installing (not root, or DEB_TEST_UNPACK)" >&2
fi
bin="$root/usr/bin/freightliner"
[ -x "$bin" ] || fail "$bin is not installed"
if [ -z "$root" ] && [ "$(command -v freightliner)" != /usr/bin/freightliner ]; then
  fail "freightliner on PATH is $(command -v freightliner), not /usr/bin/freightliner"
fi

# --- run it ------------------------------------------------------------------------------------
"$bin" version | grep -q "^freightliner $version (revision " ||
  fail "\`freightliner version\` printed: $("$bin" version 2>&1)"

mkdir -p "$work/src" "$work/dst"
src_port=$(start_registry "$work/src") || fail "source registry did not start"
dst_port=$(start_registry "$work/dst") || fail "destination registry did not start"
head -c 300000 /dev/urandom >"$work/layer.bin"
build_image "$work/layout" v1 amd64 "$work/layer.bin" >/dev/null 2>&1 || fail "umoci could not build the image"
skopeo_push "oci:$work/layout:v1" "docker://127.0.0.1:$src_port/team/app:v1" ||
  fail "could not seed the source registry"
"$bin" replicate "127.0.0.1:$src_port/team/app:v1" "127.0.0.1:$dst_port/mirror/app:v1" \
  >"$work/replicate.out" 2>"$work/replicate.err" ||
  { cat "$work/replicate.err" >&2; fail "the installed freightliner replicate failed"; }
src_digest=$(raw_digest "docker://127.0.0.1:$src_port/team/app:v1")
dst_digest=$(raw_digest "docker://127.0.0.1:$dst_port/mirror/app:v1")
[ "$src_digest" = "$dst_digest" ] || fail "destination digest $dst_digest != source $src_digest"

man_page="$root/usr/share/man/man1/freightliner.1.gz"
# Slim Debian images tell dpkg not to install man pages (path-exclude in dpkg.cfg.d).
if [ ! -f "$man_page" ] && grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
  echo "deb_test: dpkg here excludes /usr/share/man: reading the man page from the package" >&2
  dpkg-deb -x "$deb" "$work/unpacked"
  man_page="$work/unpacked/usr/share/man/man1/freightliner.1.gz"
fi
man_warnings=$(MANWIDTH=80 man --warnings -l "$man_page" 2>&1 >"$work/man.txt") ||
  fail "man -l $man_page failed: $man_warnings"
[ -z "$man_warnings" ] || fail "man page warnings: $man_warnings"
grep -q "replicate-tree" "$work/man.txt" || fail "the man page does not describe replicate-tree"

completion=$(bash -c "source '$root/usr/share/bash-completion/completions/freightliner' &&
  COMP_WORDS=(freightliner replicate-t) && COMP_CWORD=1 && _freightliner &&
  echo \"\${COMPREPLY[*]}\"")
[ "$completion" = replicate-tree ] || fail "bash completion of 'replicate-t' gave '$completion'"

# --- remove ------------------------------------------------------------------------------------
if [ -n "$installed_by_us" ]; then
  apt-get remove -y -q -o DPkg::Lock::Timeout=120 freightliner >"$work/remove.log" 2>&1 ||
    { tail -n 30 "$work/remove.log"; fail "apt-get remove freightliner failed"; }
  installed_by_us=""
  [ ! -e /usr/bin/freightliner ] || fail "/usr/bin/freightliner is still there after removal"
  [ ! -e /usr/share/man/man1/freightliner.1.gz ] || fail "the man page is still there after removal"
fi

how="installed with apt-get and removed"
[ -z "$root" ] || how="unpacked with dpkg -x"
echo "deb_test: PASS: $(basename "$deb") ($(field Installed-Size) KiB) $how; its freightliner" \
  "replicated team/app:v1 at $src_digest; man page and bash completion work"

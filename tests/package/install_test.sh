#!/usr/bin/env bash
# cmake --install into a staging directory (DESTDIR) with the prefix /usr: every file lands at the
# path Debian uses, the installed man page reads without a warning, and the installed bash
# completion completes a command.
#   tests/package/install_test.sh BUILD_DIR
set -euo pipefail

build_dir=${1:?usage: install_test.sh BUILD_DIR}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() {
  echo "install_test: FAIL: $*"
  exit 1
}

DESTDIR=$stage cmake --install "$build_dir" --prefix /usr >"$stage.log" 2>&1 ||
  { cat "$stage.log"; rm -f "$stage.log"; fail "cmake --install failed"; }
rm -f "$stage.log"

for path in bin/freightliner share/man/man1/freightliner.1.gz \
  share/bash-completion/completions/freightliner share/zsh/vendor-completions/_freightliner \
  share/doc/freightliner/examples/sync.yaml share/doc/freightliner/examples/server.yaml \
  share/doc/freightliner/LICENSE share/doc/freightliner/NOTICE share/doc/freightliner/copyright \
  share/doc/freightliner/README.md share/doc/freightliner/CHANGELOG.md \
  share/doc/freightliner/CLI.md; do
  [ -f "$stage/usr/$path" ] || fail "no /usr/$path under DESTDIR"
done
[ -x "$stage/usr/bin/freightliner" ] || fail "/usr/bin/freightliner is not executable"
# Nothing outside the prefix: DESTDIR took every file.
outside=$(cd "$stage" && find . -mindepth 1 -maxdepth 1 ! -name usr)
[ -z "$outside" ] || fail "installed outside /usr: $outside"

warnings=$(MANWIDTH=80 man --warnings -l "$stage/usr/share/man/man1/freightliner.1.gz" 2>&1 >/dev/null)
[ -z "$warnings" ] || fail "man page warnings: $warnings"

completion=$(bash -c "source '$stage/usr/share/bash-completion/completions/freightliner' &&
  COMP_WORDS=(freightliner list-) && COMP_CWORD=1 && _freightliner && echo \"\${COMPREPLY[*]}\"")
[ "$completion" = list-tags ] || fail "bash completion of 'list-' gave '$completion'"

echo "install_test: PASS: $(cd "$stage" && find . -type f | wc -l) files under DESTDIR/usr"

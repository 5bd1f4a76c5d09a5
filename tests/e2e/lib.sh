# Shared by the end-to-end scripts (sourced): each starts the local stack (scripts/stack.sh) in a
# private STACK_DIR, counts its checks with ok / not_ok, and ends with "N passed, N failed". On a
# failure the stack's logs are kept and their last lines shown; otherwise everything is removed.
#
#   . "$(dirname "$0")/lib.sh"; e2e_init NAME BINARY   # then stack_up [up-cluster], ok, not_ok, wait_job
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
not_ok() { failed=$((failed + 1)); echo "FAILED: $*"; }

# e2e_init NAME BINARY: the stack's directory and binary, and the report at exit.
e2e_init() {
  export FREIGHTLINER_BIN=$2
  STACK_DIR=$(mktemp -d "/tmp/freightliner-$1.XXXXXX")
  export STACK_DIR
  trap e2e_finish EXIT
}

e2e_finish() {
  local rc=$?
  [ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || not_ok "the script stopped early (exit $rc)"
  bash "$ROOT/scripts/stack.sh" down >/dev/null 2>&1 || true
  if [ "$failed" -gt 0 ]; then
    # (registries' logs are request logs; a registry that fails to start shows its own)
    for log in "$STACK_DIR"/{serve,serve-*,postgres,sink,alertmanager,prometheus}/*.log; do
      [ -s "$log" ] && { echo "--- last lines of $log:"; tail -n 10 "$log"; }
    done
    echo "logs kept in $STACK_DIR"
  else
    rm -rf "$STACK_DIR" "$STACK_DIR.up.log"
  fi
  echo "$passed passed, $failed failed"
}

# stack_up [VERB]: starts the stack (scripts/stack.sh VERB, default up; up-cluster for cluster
# mode; its output in $STACK_DIR.up.log) and reads its ports.env.
stack_up() {
  bash "$ROOT/scripts/stack.sh" "${1:-up}" > "$STACK_DIR.up.log" 2>&1 || { cat "$STACK_DIR.up.log"; not_ok "stack up"; exit 1; }
  . "$STACK_DIR/ports.env"
}

# wait_job ID [TRIES]: the job's final status, polled every 0.1 s (default 600 tries), or timeout.
wait_job() {
  local s
  for _ in $(seq 1 "${2:-600}"); do
    s=$(curl -sf "$API/api/v1/jobs/$1" | jq -r .status)
    case $s in succeeded | failed | canceled) echo "$s"; return 0 ;; esac
    sleep 0.1
  done
  echo timeout
}

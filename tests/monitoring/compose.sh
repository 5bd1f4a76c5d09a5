#!/usr/bin/env bash
# monitoring.compose: docker-compose.yml (which cannot run here: no Docker in CI) is consistent with
# the files it runs: mounts, ports, images, the serve command (js/compose_check.mjs).
source "$(dirname "$0")/lib.sh"
need_node_modules
node "$MON_TESTS/js/compose_check.mjs"

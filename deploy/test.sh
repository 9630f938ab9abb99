#!/usr/bin/env bash
# Runs the whole test suite: makes sure nats-server is installed (each integration test starts its
# own on a free loopback port) and chromium with chromedriver (the console's browser tests), builds
# the `tutorwatch` binary the tests run, then `cargo test`.
# Extra arguments go to `cargo test` (e.g. `deploy/test.sh -p tutorwatch-log`).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_nats_server
ensure_openssl
ensure_chromium
export NATS_SERVER_BIN="${NATS_SERVER_BIN:-$(nats_server_bin)}"
cargo build --locked --bin tutorwatch
cargo test --locked --workspace "$@"

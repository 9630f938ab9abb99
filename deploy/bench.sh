#!/usr/bin/env bash
# Runs the benchmark (`tutorwatch-bench`, tools/bench) in release mode against a private nats-server (free loopback port,
# temporary store), then stops the server. Extra arguments go to the bench (e.g. --events 200000).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_nats_server
cargo build --locked --release --bin tutorwatch-bench
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$(nats_server_bin)" -a 127.0.0.1 -p "$port" -js -sd "$work/nats" >"$work/nats.log" 2>&1 &
nats_pid=$!
# Stops the server and removes the temporary store whatever happened, and exits with the bench's
# own status (the server's exit status on SIGTERM is not the bench's).
cleanup() {
  local status=$?
  kill "$nats_pid" 2>/dev/null || true
  wait "$nats_pid" 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
for _ in $(seq 100); do listening 127.0.0.1 "$port" && break; sleep 0.1; done
./target/release/tutorwatch-bench --nats "nats://127.0.0.1:$port" --work-dir "$work/bench" "$@"

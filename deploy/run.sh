#!/usr/bin/env bash
# Runs Tutorwatch on this machine: installs nats-server if it is missing, starts one with JetStream
# on loopback if nothing listens at TW_NATS_URL (default nats://127.0.0.1:4222), then runs
# `tutorwatch serve`. Extra arguments go to `tutorwatch serve` (e.g. --config tutorwatch.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_nats_server
# The data directory is owner-only (`serve` refuses one its group or others can enter); an
# existing one is left as it is, and `serve` names the fix if it is shared.
data_dir="${TW_DATA_DIR:-./data}"
mkdir -p -m 700 "$data_dir"
nats_url="${TW_NATS_URL:-nats://127.0.0.1:4222}"
hostport="${nats_url#nats://}"
host="${hostport%:*}"
port="${hostport##*:}"
if listening "$host" "$port"; then
  echo "using the NATS server already listening at $nats_url" >&2
else
  store="$data_dir/nats"
  mkdir -p "$store"
  echo "starting nats-server with JetStream at $nats_url (store: $store, log: $store/nats-server.log)" >&2
  nohup "$(nats_server_bin)" -a "$host" -p "$port" -js -sd "$store" >>"$store/nats-server.log" 2>&1 &
  echo $! >"$store/nats-server.pid"
  for _ in $(seq 100); do listening "$host" "$port" && break; sleep 0.1; done
  listening "$host" "$port" || { echo "nats-server did not start; see $store/nats-server.log" >&2; exit 1; }
fi
cargo build --release --bin tutorwatch
exec ./target/release/tutorwatch serve "$@"

#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI document with schemathesis (from PyPI, into
# target/schemathesis-venv): a private nats-server and `tutorwatch serve` on free loopback ports,
# an admin token and an officer token, then `schemathesis run` with checks that no request gets
# a 5xx and every response matches the document. The live stream is left out (it never ends).
# Extra arguments go to schemathesis (e.g. --max-time 300). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_nats_server
venv=target/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi
cargo build --locked --bin tutorwatch
bin=./target/debug/tutorwatch
work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
nats_port="$(free_port)"
http_port="$(free_port)"
"$(nats_server_bin)" -a 127.0.0.1 -p "$nats_port" -js -sd "$work/nats" >"$work/nats.log" 2>&1 &
nats_pid=$!
serve_pid=""
cleanup() {
  set +e
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  kill "$nats_pid" 2>/dev/null; wait "$nats_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do listening 127.0.0.1 "$nats_port" && break; sleep 0.1; done

export TW_DATA_DIR="$work/data" TW_NATS_URL="nats://127.0.0.1:$nats_port" TW_HTTP_ADDR="127.0.0.1:$http_port"
token() { "$bin" token issue "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
admin="$(token --role admin --label schemathesis 2>/dev/null)"
"$bin" serve 2>"$work/serve.log" &
serve_pid=$!
for _ in $(seq 100); do listening 127.0.0.1 "$http_port" && break; sleep 0.1; done

status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$http_port/openapi.json" \
  --header "Authorization: Bearer $admin" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /v1/findings/stream \
  --max-examples 50 \
  --phases "${TW_SCHEMATHESIS_PHASES:-examples,fuzzing,stateful}" \
  --workers 2 \
  "$@" || status=$?
if grep -q "panicked" "$work/serve.log"; then
  echo "tutorwatch panicked during the run:" >&2
  grep -A5 panicked "$work/serve.log" >&2
  status=1
fi
echo "schemathesis: exit status $status" >&2
exit $status

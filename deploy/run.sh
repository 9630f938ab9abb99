#!/usr/bin/env bash
# Runs Tutorwatch on this machine with a secured NATS: installs nats-server if it is missing,
# builds `tutorwatch`, and on the first run makes a local CA and server certificate, the service's
# and the admin loader's NKeys and the server config, all under DATA_DIR/nats (DATA_DIR is
# TW_DATA_DIR, default ./data). It starts nats-server with that config (TLS, NKey users with
# least-privilege permissions, JetStream) on 127.0.0.1:TW_NATS_PORT (default 4223), runs
# `tutorwatch serve` with the service's key over TLS, and stops that nats-server when serve exits.
# Extra arguments go to `tutorwatch serve` (e.g. --config tutorwatch.toml). TW_BIN names a
# tutorwatch binary to run instead of building one.
#
# It never uses a server it did not start: if another program listens on the port, it stops with
# an error. To run against a NATS you operate yourself, set TW_NATS_URL (and TW_NATS_* or [nats]
# for its credentials and TLS): run.sh then starts no server.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/lib.sh

ensure_nats_server
ensure_openssl
tw="${TW_BIN:-}"
if [ -z "$tw" ]; then
  cargo build --locked --release --bin tutorwatch
  tw=./target/release/tutorwatch
fi

# The data directory is owner-only (`serve` refuses one its group or others can enter); an
# existing one is left as it is, and `serve` names the fix if it is shared.
data="${TW_DATA_DIR:-./data}"
mkdir -p -m 700 "$data"

if [ -n "${TW_NATS_URL:-}" ]; then
  echo "TW_NATS_URL is set: using the NATS server at $TW_NATS_URL as you configured it" \
    "(credentials and TLS from TW_NATS_* or [nats]); run.sh starts no server" >&2
  exec "$tw" serve "$@"
fi

nats_dir="$data/nats"
port="${TW_NATS_PORT:-4223}"
mkdir -p "$nats_dir"

# First run: the CA and server certificate, the config, the service's and admin's NKeys.
deploy/nats/gen-certs.sh "$nats_dir/tls"
if [ ! -e "$nats_dir/nats-server.conf" ]; then
  cp deploy/nats/nats-server.conf "$nats_dir/nats-server.conf"
  echo "wrote $nats_dir/nats-server.conf (from deploy/nats/nats-server.conf)" >&2
elif ! cmp -s deploy/nats/nats-server.conf "$nats_dir/nats-server.conf"; then
  echo "keeping $nats_dir/nats-server.conf, which differs from deploy/nats/nats-server.conf" >&2
fi
(umask 077 && mkdir -p "$nats_dir/keys")
for role in service admin; do
  if [ ! -e "$nats_dir/keys/$role.nk" ]; then
    out="$("$tw" nats user add --role "$role" --out "$nats_dir/keys" --users "$nats_dir/users.conf" \
      2>&1 >/dev/null)" || { echo "$out" >&2; exit 1; }
    echo "made the $role's NKey: $nats_dir/keys/$role.nk (added to $nats_dir/users.conf)" >&2
  fi
done

started_pid=""
stop_nats() {
  [ -n "$started_pid" ] || return 0
  echo "stopping the nats-server run.sh started (pid $started_pid)" >&2
  kill -TERM "$started_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$started_pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$started_pid" 2>/dev/null || true
}
trap stop_nats EXIT

pidfile="$nats_dir/nats-server.pid"
if listening 127.0.0.1 "$port"; then
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && grep -q nats-server "/proc/$pid/cmdline" 2>/dev/null \
    && [ "$(readlink -f "/proc/$pid/cwd")" = "$(readlink -f "$nats_dir")" ]; then
    echo "reusing the secured nats-server that run.sh started before (pid $pid," \
      "127.0.0.1:$port, config $nats_dir/nats-server.conf); it keeps running after this run" \
      "(stop it with: kill $pid)" >&2
  else
    echo "error: something else listens on 127.0.0.1:$port, not a nats-server that run.sh" \
      "started with $nats_dir/nats-server.conf. run.sh does not use a server it cannot vouch" \
      "for (it may be unsecured). Stop it, or choose another port: TW_NATS_PORT=4224 deploy/run.sh" >&2
    exit 1
  fi
else
  echo "starting nats-server with TLS, NKey users and JetStream on 127.0.0.1:$port" \
    "(config: $nats_dir/nats-server.conf, users: $nats_dir/users.conf, log: $nats_dir/nats-server.log)" >&2
  # Its own session, so that Ctrl-C reaches serve first; serve's last acks still go out.
  (cd "$nats_dir" && exec setsid "$(nats_server_bin)" -c nats-server.conf -a 127.0.0.1 -p "$port" \
    >>nats-server.log 2>&1) &
  started_pid=$!
  for _ in $(seq 100); do
    listening 127.0.0.1 "$port" && break
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! kill -0 "$started_pid" 2>/dev/null || ! listening 127.0.0.1 "$port"; then
    started_pid=""
    echo "nats-server did not start; the end of $nats_dir/nats-server.log:" >&2
    tail -n 20 "$nats_dir/nats-server.log" >&2
    exit 1
  fi
fi

export TW_NATS_URL="tls://127.0.0.1:$port"
export TW_NATS_NKEY_SEED_FILE="$nats_dir/keys/service.nk"
export TW_NATS_TLS_CA_FILE="$nats_dir/tls/ca.pem"
export TW_NATS_TLS_REQUIRED=true
export TW_NATS_INBOX_PREFIX=_INBOX.service
cat >&2 <<EOF
NATS: $TW_NATS_URL (TLS, CA $TW_NATS_TLS_CA_FILE). serve uses the key $TW_NATS_NKEY_SEED_FILE.
The admin loader's key (gen --publish, backfills) is $nats_dir/keys/admin.nk, inbox _INBOX.admin.
Producers' keys: $tw nats user add --role bank --bank ID --out DIR, then
nats-server --signal reload=$pidfile
EOF

"$tw" serve "$@" &
serve_pid=$!
trap 'kill -TERM "$serve_pid" 2>/dev/null || true' INT TERM
status=0
wait "$serve_pid" || status=$?
# A signal interrupts `wait`; wait again until serve has finished shutting down.
while kill -0 "$serve_pid" 2>/dev/null; do
  status=0
  wait "$serve_pid" || status=$?
done
exit "$status"

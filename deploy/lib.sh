# Shared shell helpers for deploy/run.sh and deploy/test.sh. Sourced, not run.

# Puts nats-server on the machine, from Debian's packages, when it is missing.
ensure_nats_server() {
  if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
    return 0
  fi
  echo "nats-server is missing: installing it from Debian's packages" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nats-server >&2
}

# Puts openssl on the machine (deploy/nats/gen-certs.sh makes the TLS certificates with it).
ensure_openssl() {
  command -v openssl >/dev/null 2>&1 && return 0
  echo "openssl is missing: installing it from Debian's packages" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openssl >&2
}

# Puts Debian's chromium and chromedriver on the machine, with a Chinese font for the pages'
# screenshots: the console's tests drive a headless chromium through chromedriver
# (tests/console.rs).
ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] \
    && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
    return 0
  fi
  echo "chromium, chromedriver or a Chinese font is missing: installing them from Debian's packages" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver \
    fonts-wqy-microhei >&2
}

nats_server_bin() {
  command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server
}

# True when something accepts TCP connections on host $1, port $2.
listening() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

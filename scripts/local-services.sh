#!/usr/bin/env bash
# Installs (apt-get) and starts PostgreSQL 15, Redis 7, age, the Docker engine and nats-server 2.9 on a Debian 12 machine for local use
# (plus docker-compose 1.29, which tests/Deploy uses to validate deploy/docker-compose.yml, and tmux for the terminal test),
# sets known admin credentials, and prints the environment variables runbook-host reads.
# Idempotent: safe to run twice, and when the services already run.
# Local use only: the passwords below are well known by design.
set -euo pipefail

PG_PASSWORD="${RUNBOOKHOST_LOCAL_PG_PASSWORD:-runbookhost-local}"
REDIS_ADMIN_USER="runbookhost_admin"
REDIS_PASSWORD="${RUNBOOKHOST_LOCAL_REDIS_PASSWORD:-runbookhost-local}"
REDIS_PORT=6379
REDIS_ACL_FILE=/var/lib/redis/runbook-host-users.acl
# nats-server (docs/nats.md): runbook-host writes its configuration and client-CA bundle here and reloads it;
# this script only starts it once that configuration exists (TLS with client certificates, nothing in plain text).
NATS_DIR="${RUNBOOKHOST_LOCAL_NATS_DIR:-/var/lib/runbook-host/nats}"
NATS_PORT=4222
NATS_MONITOR_PORT=8222

say() { echo "local-services: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=() package
  # Asked of dpkg, not of PATH: a machine may have the PostgreSQL client (psql) without the server.
  for package in postgresql redis-server redis-tools age openssl docker.io iptables busybox-static docker-compose tmux nats-server; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
  # The report's browser tests (tests/Report) open report.html in headless chromium: installed for the test suite
  # (CI=true, or RUNBOOKHOST_TEST_TOOLS=1), not for a quickstart that only needs the services.
  if [ -n "${CI:-}" ] || [ "${RUNBOOKHOST_TEST_TOOLS:-}" = 1 ]; then
    dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed" || missing+=(chromium)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_postgres() {
  if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 '; then
    as_root pg_createcluster 15 main >/dev/null
  fi
  if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
    say "starting PostgreSQL 15"
    # Retried: right after an unclean stop the old postmaster may still hold its socket lock for a moment.
    for attempt in 1 2 3 4 5; do
      as_root pg_ctlcluster 15 main start && break
      [ "$attempt" -lt 5 ] || { say "PostgreSQL 15 did not start"; exit 1; }
      sleep 2
    done
  fi
  for _ in $(seq 1 30); do
    as_root su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  as_root su postgres -c "psql -qAt -v ON_ERROR_STOP=1" >/dev/null <<SQL
ALTER USER postgres PASSWORD '${PG_PASSWORD}';
SQL
}

redis_admin() { redis-cli -p "$REDIS_PORT" --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_PASSWORD" "$@"; }

start_redis() {
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && ! redis_admin ping >/dev/null 2>&1; then
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root touch "$REDIS_ACL_FILE"
    as_root redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
      --dir /var/lib/redis --logfile /var/log/redis/runbook-host.log \
      --aclfile "$REDIS_ACL_FILE" --save '' --appendonly no
    for _ in $(seq 1 30); do
      { redis-cli -p "$REDIS_PORT" ping || redis_admin ping; } >/dev/null 2>&1 && break
      sleep 0.2
    done
  fi
  # The admin user is created with the default user (fresh server) or refreshed as itself (second run).
  if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    redis-cli -p "$REDIS_PORT" ACL SETUSER "$REDIS_ADMIN_USER" reset on ">$REDIS_PASSWORD" '~*' '&*' +@all >/dev/null
  fi
  redis_admin ping | grep -q PONG || { say "cannot authenticate to Redis as $REDIS_ADMIN_USER"; exit 1; }
  # Hardening (docs/stores.md): the passwordless default user would bypass every tenant ACL.
  redis_admin ACL SETUSER default reset off >/dev/null
  redis_admin ACL SAVE >/dev/null 2>&1 || true
}

# The docker network provider (docs/network.md): dockerd is started by nothing else on these machines. It is
# started as root when `docker info` does not answer, and the tiny local busybox image is built (nothing is pulled).
start_docker() {
  if ! docker info >/dev/null 2>&1; then
    say "starting dockerd"
    as_root mkdir -p /var/log
    as_root sh -c 'nohup dockerd >>/var/log/dockerd.log 2>&1 &'
    for _ in $(seq 1 60); do
      docker info >/dev/null 2>&1 && break
      sleep 0.5
    done
    docker info >/dev/null 2>&1 || { say "dockerd did not start (see /var/log/dockerd.log)"; exit 1; }
  fi
  as_root bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/busybox-image.sh" >/dev/null
}

# Started only when runbook-host has written its configuration (the PKI issues the server certificate and the
# client-CA bundle): a nats-server without TLS and client certificates would be a bus without isolation. Already
# running (its pid file names a live nats-server) = left alone; the host reloads it after each change.
start_nats() {
  as_root mkdir -p "$NATS_DIR/jetstream"
  as_root chmod 0750 "$NATS_DIR"
  local pid=""
  [ -f "$NATS_DIR/nats.pid" ] && pid="$(cat "$NATS_DIR/nats.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nats-server ]; then
    return
  fi
  if [ ! -f "$NATS_DIR/nats.conf" ]; then
    say "nats-server not started: no configuration yet ($NATS_DIR/nats.conf is written by runbook-host once the platform PKI exists)"
    return
  fi
  say "starting nats-server"
  as_root sh -c "nohup nats-server -c '$NATS_DIR/nats.conf' -l /var/log/nats-server.log >/dev/null 2>&1 &"
  for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:${NATS_MONITOR_PORT}/varz" >/dev/null 2>&1 && return
    sleep 0.2
  done
  say "nats-server did not start (see /var/log/nats-server.log)"
  exit 1
}

# Nats:Url only once nats-server runs: an empty Url is "not configured" (steps skipped, checks incomplete for tenants
# that have NATS), so a machine without the bus yet is not reported broken by doctor.
nats_url_line() {
  local pid=""
  [ -f "$NATS_DIR/nats.pid" ] && pid="$(cat "$NATS_DIR/nats.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nats-server ]; then
    echo "export RUNBOOKHOST_Nats__Url='tls://127.0.0.1:${NATS_PORT}'"
  else
    echo "# RUNBOOKHOST_Nats__Url unset: nats-server is not running yet (docs/nats.md)"
  fi
}

# Only the closing export lines may reach stdout, because callers eval it: every tool's chatter
# (pg_ctlcluster prints "Removed stale pid file." after an unclean stop) goes to stderr. A redirect of
# this group, not a saved descriptor: the servers started here would inherit one and hold the caller's pipe open.
{
  install_packages
  start_postgres
  start_redis
  start_docker
  start_nats
} >&2

NATS_URL_LINE="$(nats_url_line)"

# No TLS on loopback: there is no wire to protect, and TLS set-up is ~0.2 s of every run's start (docs/benchmarks.md).
# Anything that leaves the machine uses SSL Mode=VerifyFull (docs/stores.md); `runbook-host doctor` warns otherwise.
cat <<ENV
export RUNBOOKHOST_Postgres__AdminConnectionString='Host=127.0.0.1;Port=5432;Username=postgres;Password=${PG_PASSWORD};Database=postgres;SSL Mode=Disable'
export RUNBOOKHOST_Redis__Configuration='127.0.0.1:${REDIS_PORT},user=${REDIS_ADMIN_USER},password=${REDIS_PASSWORD}'
${NATS_URL_LINE}
export RUNBOOKHOST_Nats__ConfigFile='${NATS_DIR}/nats.conf'
export RUNBOOKHOST_Nats__PidFile='${NATS_DIR}/nats.pid'
export RUNBOOKHOST_Nats__StoreDir='${NATS_DIR}/jetstream'
export RUNBOOKHOST_Nats__MonitorUrl='http://127.0.0.1:${NATS_MONITOR_PORT}/'
ENV

#!/usr/bin/env bash
# Installs (apt-get) and starts PostgreSQL 15, Redis 7, age and the Docker engine on a Debian 12 machine for local use
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

say() { echo "local-services: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=() package
  # Asked of dpkg, not of PATH: a machine may have the PostgreSQL client (psql) without the server.
  for package in postgresql redis-server redis-tools age openssl docker.io iptables busybox-static docker-compose tmux; do
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

# Only the closing export lines may reach stdout, because callers eval it: every tool's chatter
# (pg_ctlcluster prints "Removed stale pid file." after an unclean stop) goes to stderr. A redirect of
# this group, not a saved descriptor: the servers started here would inherit one and hold the caller's pipe open.
{
  install_packages
  start_postgres
  start_redis
  start_docker
} >&2

# No TLS on loopback: there is no wire to protect, and TLS set-up is ~0.2 s of every run's start (docs/benchmarks.md).
# Anything that leaves the machine uses SSL Mode=VerifyFull (docs/stores.md); `runbook-host doctor` warns otherwise.
cat <<ENV
export RUNBOOKHOST_Postgres__AdminConnectionString='Host=127.0.0.1;Port=5432;Username=postgres;Password=${PG_PASSWORD};Database=postgres;SSL Mode=Disable'
export RUNBOOKHOST_Redis__Configuration='127.0.0.1:${REDIS_PORT},user=${REDIS_ADMIN_USER},password=${REDIS_PASSWORD}'
ENV

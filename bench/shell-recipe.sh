#!/usr/bin/env bash
# The specification's own shell recipe (/work/shared/spec/storage-isolation-and-keys.md), one tenant,
# the way an operator would type it — the baseline runbook-host is measured against (bench/run.sh).
#
#   bash bench/shell-recipe.sh provision   <tenant_id> <secrets-dir>
#   bash bench/shell-recipe.sh deprovision <tenant_id> <secrets-dir>
#
# provision:   §6.2 age key pair, §6.3 credentials (openssl rand -base64 32), §6.4 encryption of the
#              secrets YAML and shred of the plaintext, §3.1 database and user, §5.2 Redis ACL user.
#              sops is not installable here, so §6.4 encrypts the whole small YAML with `age -r` (one
#              age stanza + payload, the same X25519 work sops does for its data key) instead of
#              `sops --age ... --encrypt`.
# deprovision: §3.4 terminate backends, DROP DATABASE, DROP USER; §5.4 scan|xargs DEL, ACL DELUSER, ACL SAVE.
#
# Not done here (the product does them, so the comparison favours this script): MinIO/Qdrant (off
# locally in both), registry rows, §9 verification probes, signed evidence, rollback, crash safety.
#
# Admin access: PGHOST/PGPORT/PGUSER/PGPASSWORD for psql, REDIS_ADMIN_USER/REDIS_ADMIN_PASS for redis-cli
# (bench/run.sh sets them from scripts/local-services.sh's defaults).
set -euo pipefail

action="$1"
tenant_id="$2"
secrets="$3"
dir="$secrets/tenants/$tenant_id"

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
rcli() { redis-cli -h 127.0.0.1 -p "${REDIS_PORT:-6379}" --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_ADMIN_PASS" "$@"; }

case "$action" in
provision)
  # §6.2 Key generation
  mkdir -p "$dir"
  age-keygen -o "$dir/key.age" 2>/dev/null
  grep "public key:" "$dir/key.age" | awk '{print $NF}' > "$dir/key.pub"
  chmod 600 "$dir/key.age"

  # §6.3 Secrets file (credentials: openssl rand -base64 32, §2.2)
  pg_password=$(openssl rand -base64 32)
  redis_password=$(openssl rand -base64 32)
  cat > "$dir/secrets.yaml" <<YAML
minio_access_key: "tenant-$tenant_id-access"
minio_secret_key: "$(openssl rand -base64 32)"
postgres_password: "$pg_password"
qdrant_api_key: "$(openssl rand -base64 32)"
redis_password: "$redis_password"
tenant_api_key: "$(openssl rand -base64 32)"
YAML

  # §6.4 Encryption workflow (age in place of sops, see above)
  age -r "$(cat "$dir/key.pub")" -a -o "$dir/secrets.enc.yaml" "$dir/secrets.yaml"
  shred -u "$dir/secrets.yaml"

  # §3.1 Database and user provisioning (one psql session, \c as in the spec)
  psql -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
CREATE DATABASE tenant_$tenant_id;
CREATE USER tenant_${tenant_id}_user WITH ENCRYPTED PASSWORD '$pg_password';
GRANT ALL PRIVILEGES ON DATABASE tenant_$tenant_id TO tenant_${tenant_id}_user;
REVOKE CONNECT ON DATABASE tenant_$tenant_id FROM PUBLIC;
\c tenant_$tenant_id
GRANT ALL ON SCHEMA public TO tenant_${tenant_id}_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO tenant_${tenant_id}_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO tenant_${tenant_id}_user;
SQL

  # §5.2 Redis ACL
  rcli ACL SETUSER "tenant_${tenant_id}_user" on ">$redis_password" "~tenant:$tenant_id:*" +@all -@dangerous >/dev/null
  rcli ACL SAVE >/dev/null
  ;;
deprovision)
  # §3.4 PostgreSQL
  psql -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'tenant_$tenant_id';
DROP DATABASE tenant_$tenant_id;
DROP USER tenant_${tenant_id}_user;
SQL
  # §5.4 Redis
  rcli --scan --pattern "tenant:$tenant_id:*" | xargs -r redis-cli -h 127.0.0.1 -p "${REDIS_PORT:-6379}" --no-auth-warning --user "$REDIS_ADMIN_USER" --pass "$REDIS_ADMIN_PASS" DEL >/dev/null
  rcli ACL DELUSER "tenant_${tenant_id}_user" >/dev/null
  rcli ACL SAVE >/dev/null
  ;;
*)
  echo "usage: shell-recipe.sh provision|deprovision <tenant_id> <secrets-dir>" >&2
  exit 2
  ;;
esac

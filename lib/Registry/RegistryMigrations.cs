namespace RunbookHost.Registry;

/// <summary>One versioned schema change. Versions only ever grow; an applied migration is never edited.</summary>
public sealed record RegistryMigration(int Version, string Name, string Sql);

/// <summary>The registry schema, in order. Append new migrations; never change applied ones.</summary>
public static partial class RegistryMigrations
{
    public static IReadOnlyList<RegistryMigration> All { get; } =
    [
        new(1, "tenants, key history, audit events, runbook runs", """
            CREATE TABLE tenants (
                tenant_id           text PRIMARY KEY CHECK (tenant_id ~ '^[a-z][a-z0-9]{2,31}$'),
                status              text NOT NULL CHECK (status IN ('provisioning', 'active', 'deprovisioning', 'deprovisioned', 'failed')),
                tenant_octet        integer UNIQUE CHECK (tenant_octet BETWEEN 1 AND 254),
                age_public_key      text,
                key_version         integer NOT NULL DEFAULT 1,
                key_rotated_at      timestamptz,
                key_rotation_due_at timestamptz,
                created_at          timestamptz NOT NULL DEFAULT now(),
                updated_at          timestamptz NOT NULL DEFAULT now(),
                deprovisioned_at    timestamptz
            );

            CREATE TABLE tenant_key_history (
                id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                tenant_id       text NOT NULL REFERENCES tenants (tenant_id),
                key_version     integer NOT NULL,
                public_key_hash text NOT NULL,
                status          text NOT NULL CHECK (status IN ('ACTIVE', 'ARCHIVED', 'PURGED')),
                created_at      timestamptz NOT NULL DEFAULT now(),
                archived_at     timestamptz,
                purged_at       timestamptz,
                rotation_reason text,
                UNIQUE (tenant_id, key_version)
            );
            -- At most one ACTIVE key per tenant.
            CREATE UNIQUE INDEX tenant_key_history_one_active ON tenant_key_history (tenant_id) WHERE status = 'ACTIVE';

            CREATE TABLE audit_events (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                occurred_at timestamptz NOT NULL DEFAULT now(),
                event_type  text NOT NULL,
                tenant_id   text,
                details     jsonb NOT NULL DEFAULT '{}'::jsonb
            );

            CREATE TABLE runbook_runs (
                id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                runbook       text NOT NULL,
                version       text NOT NULL,
                sha256        text NOT NULL,
                tenant_id     text,
                status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
                dry_run       boolean NOT NULL,
                started_at    timestamptz NOT NULL,
                finished_at   timestamptz,
                evidence_file text
            );
            """),
        new(2, "lookup indexes", """
            CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, occurred_at);
            CREATE INDEX runbook_runs_tenant_time ON runbook_runs (tenant_id, started_at);
            CREATE INDEX tenants_rotation_due ON tenants (key_rotation_due_at) WHERE status = 'active';
            """),
        // Quartz.NET 4.7.3's PostgreSQL schema (its create_postgres.sql, table prefix qrtz_), for `runbook-host schedule`:
        // the clustered job store lives in the control-plane database. Reproduced column for column; the scheduler
        // validates it at start (SchemaProvisioning.Validate). A Quartz upgrade that adds columns adds a migration here.
        new(3, "quartz scheduler tables (qrtz_)", QuartzTables),
        // Every run is recorded before it acts (the chain head it will link to) and after (its evidence file and that file's
        // SHA-256), so `evidence verify` can find files that are missing, extra, or cut from a chain. Scope "fleet" is a
        // fleet-wide run (evidence/_fleet). And what each tenant was provisioned in, so verification proves what the tenant
        // has, not what happens to be configured today.
        new(4, "runbook runs anchor their evidence; tenant components", """
            ALTER TABLE runbook_runs
                ADD COLUMN scope           text NOT NULL DEFAULT 'tenant' CHECK (scope IN ('tenant', 'fleet')),
                ADD COLUMN previous_sha256 text CHECK (previous_sha256 ~ '^[0-9a-f]{64}$'),
                ADD COLUMN evidence_sha256 text CHECK (evidence_sha256 ~ '^[0-9a-f]{64}$');
            ALTER TABLE runbook_runs DROP CONSTRAINT runbook_runs_status_check;
            ALTER TABLE runbook_runs ADD CONSTRAINT runbook_runs_status_check
                CHECK (status IN ('running', 'succeeded', 'failed', 'incomplete'));
            CREATE INDEX runbook_runs_evidence ON runbook_runs (scope, tenant_id, started_at) WHERE evidence_file IS NOT NULL;

            CREATE TABLE tenant_components (
                tenant_id      text NOT NULL REFERENCES tenants (tenant_id),
                component      text NOT NULL CHECK (component ~ '^[a-z][a-z0-9_]{1,31}$'),
                provisioned_by text NOT NULL,
                provisioned_at timestamptz NOT NULL,
                detail         text,
                PRIMARY KEY (tenant_id, component)
            );
            """),
        // The evidence signing keys: what `evidence verify` trusts when it reads the registry, and when each key was
        // retired (files a key signed after its retirement fail). Several keys may be current (hosts that do not share
        // a secrets folder); a retired key names its successor.
        new(5, "evidence signing keys", """
            CREATE TABLE signing_keys (
                key_id           text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{64}$'),
                public_key_pem   text NOT NULL CHECK (public_key_pem LIKE '-----BEGIN PUBLIC KEY-----%'),
                created_at       timestamptz NOT NULL,
                retired_at       timestamptz,
                successor_key_id text REFERENCES signing_keys (key_id) DEFERRABLE INITIALLY DEFERRED,
                rotation_reason  text,
                CHECK ((retired_at IS NULL) = (successor_key_id IS NULL)),
                CHECK (successor_key_id <> key_id)
            );
            """),
        // The PKI (docs/pki.md): each tenant's intermediate CAs (at most one active; a rotated one is retiring during the
        // overlap, then revoked with reason superseded) and every certificate issued, by serial. The certificates and keys
        // themselves live in the secrets folder; the fingerprint here is what verification compares the file with.
        // issued_certificates.ca_serial is the issuer's serial: a tenant CA, or the root / platform-admin CA (tenant_id NULL).
        new(6, "tenant certificate authorities and issued certificates", """
            CREATE TABLE tenant_cas (
                serial            text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{2,40}$'),
                tenant_id         text NOT NULL CHECK (tenant_id ~ '^[a-z][a-z0-9]{2,31}$'),
                sha256_fingerprint text NOT NULL UNIQUE CHECK (sha256_fingerprint ~ '^[0-9a-f]{64}$'),
                not_before        timestamptz NOT NULL,
                not_after         timestamptz NOT NULL CHECK (not_after > not_before),
                status            text NOT NULL CHECK (status IN ('active', 'retiring', 'revoked')),
                created_at        timestamptz NOT NULL DEFAULT now(),
                retiring_since    timestamptz,
                revoked_at        timestamptz,
                reason            text,
                CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
                CHECK (status <> 'retiring' OR retiring_since IS NOT NULL)
            );
            CREATE UNIQUE INDEX tenant_cas_one_active ON tenant_cas (tenant_id) WHERE status = 'active';
            CREATE INDEX tenant_cas_tenant ON tenant_cas (tenant_id, created_at);

            CREATE TABLE issued_certificates (
                serial     text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{2,40}$'),
                tenant_id  text CHECK (tenant_id ~ '^[a-z][a-z0-9]{2,31}$'),
                ca_serial  text NOT NULL CHECK (ca_serial ~ '^[0-9a-f]{2,40}$'),
                identity   text NOT NULL,
                kind       text NOT NULL CHECK (kind IN ('component', 'server', 'platform-admin')),
                not_after  timestamptz NOT NULL,
                issued_at  timestamptz NOT NULL DEFAULT now(),
                CHECK ((kind = 'component') = (tenant_id IS NOT NULL))
            );
            CREATE INDEX issued_certificates_tenant ON issued_certificates (tenant_id, issued_at);
            """),
        // Each tenant's private network (docs/network.md): its range from the configured pool, never overlapping another
        // tenant's (the exclusion constraint holds across pool changes). is_octet: the slot is the tenant's tenant_octet.
        // No foreign key: a network is reserved before the tenant registers, so a pool exhaustion refuses before anything.
        new(7, "tenant networks", """
            CREATE TABLE tenant_networks (
                tenant_id    text PRIMARY KEY CHECK (tenant_id ~ '^[a-z][a-z0-9]{2,31}$'),
                pool         text NOT NULL,
                slot         integer NOT NULL CHECK (slot BETWEEN 0 AND 65535),
                network      cidr NOT NULL CHECK (family(network) = 4),
                is_octet     boolean NOT NULL,
                allocated_at timestamptz NOT NULL DEFAULT now(),
                UNIQUE (pool, slot),
                CONSTRAINT tenant_networks_disjoint EXCLUDE USING gist (network inet_ops WITH &&)
            );
            """),
        // Backup recovery (§7.3): what maps a backup to the key that opens it. A SOPS file names its age recipients, so each
        // key version keeps its public key (the hash alone cannot be shown to an operator), the file it lives in, and the
        // window in which it encrypted the tenant's secrets. Backfill: the window from created_at/archived_at, the ACTIVE
        // key from tenants.age_public_key; archived keys get their public key and file name from the key files on disk the
        // first time the history is read with the key ring at hand (KeyHistory.SyncAsync), matched by public_key_hash.
        new(8, "key history: public key, key file and validity window per key version", """
            ALTER TABLE tenant_key_history
                ADD COLUMN age_public_key text CHECK (age_public_key ~ '^age1[0-9a-z]+$'),
                ADD COLUMN key_file       text CHECK (key_file ~ '^key(-[0-9]{8}(-[1-9][0-9]{0,3})?-archived)?\.age$'),
                ADD COLUMN valid_from     timestamptz,
                ADD COLUMN valid_to       timestamptz;
            UPDATE tenant_key_history SET valid_from = created_at, valid_to = archived_at;
            UPDATE tenant_key_history h SET age_public_key = t.age_public_key, key_file = CASE WHEN h.status = 'ACTIVE' THEN 'key.age' END
                FROM tenants t
                WHERE h.tenant_id = t.tenant_id AND t.age_public_key ~ '^age1[0-9a-z]+$'
                  AND h.public_key_hash = 'sha256:' || encode(sha256(convert_to(t.age_public_key, 'UTF8')), 'hex');
            ALTER TABLE tenant_key_history ALTER COLUMN valid_from SET NOT NULL, ALTER COLUMN valid_from SET DEFAULT now();
            ALTER TABLE tenant_key_history ADD CONSTRAINT tenant_key_history_window CHECK (valid_to IS NULL OR valid_to >= valid_from);
            """),
        // Migration number 9 is reserved for work in progress on another branch (NATS); take the next free number when adding one.
    ];
}

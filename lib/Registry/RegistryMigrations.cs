namespace RunbookHost.Registry;

/// <summary>One versioned schema change. Versions only ever grow; an applied migration is never edited.</summary>
public sealed record RegistryMigration(int Version, string Name, string Sql);

/// <summary>The registry schema, in order. Append new migrations; never change applied ones.</summary>
public static class RegistryMigrations
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
        new(3, "quartz scheduler tables (qrtz_)", """
            CREATE TABLE IF NOT EXISTS qrtz_job_details (
              sched_name text not null,
              job_name text not null,
              job_group text not null,
              description text null,
              job_class_name text not null,
              is_durable bool not null,
              is_nonconcurrent bool not null,
              is_update_data bool not null,
              requests_recovery bool not null,
              job_data bytea null,
              primary key (sched_name,job_name,job_group)
            );
            CREATE TABLE IF NOT EXISTS qrtz_triggers (
              sched_name text not null,
              trigger_name text not null,
              trigger_group text not null,
              job_name text not null,
              job_group text not null,
              description text null,
              next_fire_time bigint null,
              prev_fire_time bigint null,
              priority integer null,
              trigger_state text not null,
              trigger_type text not null,
              start_time bigint not null,
              end_time bigint null,
              calendar_name text null,
              misfire_instr smallint null,
              misfire_orig_fire_time bigint null,
              execution_group varchar(200) null,
              preferred_node varchar(200) null,
              preferred_node_auto bool not null default false,
              retry_policy varchar(250) null,
              retry_attempt integer null,
              continues_trigger_name text null,
              continues_trigger_group text null,
              continuation_condition integer null,
              overlap_policy integer null,
              pause_reason varchar(250) null,
              paused_by varchar(200) null,
              paused_at bigint null,
              misfire_threshold bigint null,
              fixed_delay bool null,
              job_data bytea null,
              primary key (sched_name,trigger_name,trigger_group),
              foreign key (sched_name,job_name,job_group) references qrtz_job_details (sched_name,job_name,job_group)
            );
            CREATE TABLE IF NOT EXISTS qrtz_simple_triggers (
              sched_name text not null,
              trigger_name text not null,
              trigger_group text not null,
              repeat_count bigint not null,
              repeat_interval bigint not null,
              times_triggered bigint not null,
              primary key (sched_name,trigger_name,trigger_group),
              foreign key (sched_name,trigger_name,trigger_group) references qrtz_triggers (sched_name,trigger_name,trigger_group) on delete cascade
            );
            CREATE TABLE IF NOT EXISTS qrtz_cron_triggers (
              sched_name text not null,
              trigger_name text not null,
              trigger_group text not null,
              cron_expression text not null,
              time_zone_id text,
              primary key (sched_name,trigger_name,trigger_group),
              foreign key (sched_name,trigger_name,trigger_group) references qrtz_triggers (sched_name,trigger_name,trigger_group) on delete cascade
            );
            CREATE TABLE IF NOT EXISTS qrtz_simprop_triggers (
              sched_name text not null,
              trigger_name text not null,
              trigger_group text not null,
              str_prop_1 text null,
              str_prop_2 text null,
              str_prop_3 text null,
              int_prop_1 integer null,
              int_prop_2 integer null,
              long_prop_1 bigint null,
              long_prop_2 bigint null,
              dec_prop_1 numeric null,
              dec_prop_2 numeric null,
              bool_prop_1 bool null,
              bool_prop_2 bool null,
              time_zone_id text null,
              primary key (sched_name,trigger_name,trigger_group),
              foreign key (sched_name,trigger_name,trigger_group) references qrtz_triggers (sched_name,trigger_name,trigger_group) on delete cascade
            );
            CREATE TABLE IF NOT EXISTS qrtz_blob_triggers (
              sched_name text not null,
              trigger_name text not null,
              trigger_group text not null,
              blob_data bytea null,
              primary key (sched_name,trigger_name,trigger_group),
              foreign key (sched_name,trigger_name,trigger_group) references qrtz_triggers (sched_name,trigger_name,trigger_group) on delete cascade
            );
            CREATE TABLE IF NOT EXISTS qrtz_calendars (
              sched_name text not null,
              calendar_name text not null,
              calendar bytea not null,
              primary key (sched_name,calendar_name)
            );
            CREATE TABLE IF NOT EXISTS qrtz_paused_trigger_grps (
              sched_name text not null,
              trigger_group text not null,
              pause_reason varchar(250) null,
              paused_by varchar(200) null,
              paused_at bigint null,
              primary key (sched_name,trigger_group)
            );
            CREATE TABLE IF NOT EXISTS qrtz_paused_job_grps (
              sched_name text not null,
              job_group text not null,
              pause_reason varchar(250) null,
              paused_by varchar(200) null,
              paused_at bigint null,
              primary key (sched_name,job_group)
            );
            CREATE TABLE IF NOT EXISTS qrtz_fired_triggers (
              sched_name text not null,
              entry_id text not null,
              trigger_name text not null,
              trigger_group text not null,
              instance_name text not null,
              fired_time bigint not null,
              sched_time bigint not null,
              priority integer not null,
              state text not null,
              job_name text null,
              job_group text null,
              is_nonconcurrent bool not null,
              requests_recovery bool null,
              execution_group varchar(200) null,
              progress integer null,
              progress_message varchar(250) null,
              interrupt_requested_time bigint null,
              primary key (sched_name,entry_id)
            );
            CREATE TABLE IF NOT EXISTS qrtz_scheduler_state (
              sched_name text not null,
              instance_name text not null,
              last_checkin_time bigint not null,
              checkin_interval bigint not null,
              quartz_version varchar(20) null,
              primary key (sched_name,instance_name)
            );
            CREATE TABLE IF NOT EXISTS qrtz_locks (
              sched_name text not null,
              lock_name text not null,
              primary key (sched_name,lock_name)
            );
            CREATE TABLE IF NOT EXISTS qrtz_execution_history (
              sched_name text not null,
              entry_id text not null,
              instance_name text not null,
              job_name text not null,
              job_group text not null,
              trigger_name text not null,
              trigger_group text not null,
              fired_time bigint not null,
              run_time bigint not null,
              succeeded bool not null,
              error_message text null,
              retry_attempt integer not null default 0,
              retry_scheduled bool not null default false,
              execution_log text null,
              result integer null,
              summary text null,
              metrics text null,
              manual bool null,
              fire_instance_id text null,
              job_input text null,
              job_input_too_large bool null,
              primary key (sched_name,entry_id)
            );
            CREATE TABLE IF NOT EXISTS qrtz_misfire_history (
              sched_name text not null,
              entry_id text not null,
              instance_name text not null,
              trigger_name text not null,
              trigger_group text not null,
              job_name text null,
              job_group text null,
              misfire_time bigint not null,
              sched_time bigint null,
              reason integer null,
              primary key (sched_name,entry_id)
            );
            CREATE TABLE IF NOT EXISTS qrtz_job_status (
              sched_name text not null,
              job_group text not null,
              job_name text not null,
              first_fired_time bigint not null,
              last_fired_time bigint not null,
              last_result integer not null,
              last_run_time bigint not null,
              last_instance_name text not null,
              last_entry_id text null,
              last_summary text null,
              last_success_time bigint null,
              last_failure_time bigint null,
              last_failure_message text null,
              consecutive_failures integer not null default 0,
              run_count bigint not null default 0,
              failure_count bigint not null default 0,
              primary key (sched_name,job_group,job_name)
            );
            CREATE INDEX IF NOT EXISTS idx_qrtz_j_g_n ON qrtz_job_details (sched_name, job_group, job_name);
            CREATE INDEX IF NOT EXISTS idx_qrtz_t_j ON qrtz_triggers (sched_name, job_name, job_group);
            CREATE INDEX IF NOT EXISTS idx_qrtz_t_g_n ON qrtz_triggers (sched_name, trigger_group, trigger_name);
            CREATE INDEX IF NOT EXISTS idx_qrtz_t_c ON qrtz_triggers (sched_name, calendar_name);
            CREATE INDEX IF NOT EXISTS idx_qrtz_t_nft_st ON qrtz_triggers (sched_name, trigger_state, next_fire_time asc, priority desc, misfire_instr);
            CREATE INDEX IF NOT EXISTS idx_qrtz_ft_inst_job_req_rcvry ON qrtz_fired_triggers (sched_name, instance_name, requests_recovery);
            CREATE INDEX IF NOT EXISTS idx_qrtz_ft_j_g ON qrtz_fired_triggers (sched_name, job_name, job_group);
            CREATE INDEX IF NOT EXISTS idx_qrtz_ft_t_g ON qrtz_fired_triggers (sched_name, trigger_name, trigger_group);
            CREATE INDEX IF NOT EXISTS idx_qrtz_eh_fired_time ON qrtz_execution_history (sched_name, fired_time);
            CREATE INDEX IF NOT EXISTS idx_qrtz_eh_inst ON qrtz_execution_history (sched_name, instance_name);
            CREATE INDEX IF NOT EXISTS idx_qrtz_mh_misfire_time ON qrtz_misfire_history (sched_name, misfire_time);
            CREATE INDEX IF NOT EXISTS idx_qrtz_mh_inst ON qrtz_misfire_history (sched_name, instance_name);
            CREATE INDEX IF NOT EXISTS idx_qrtz_eh_job_time ON qrtz_execution_history (sched_name, job_group, job_name, fired_time);
            CREATE INDEX IF NOT EXISTS idx_qrtz_eh_fire_inst ON qrtz_execution_history (sched_name, fire_instance_id);
            CREATE INDEX IF NOT EXISTS idx_qrtz_eh_trig_time ON qrtz_execution_history (sched_name, trigger_group, trigger_name, fired_time);
            """),
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
        // Migration numbers 6-9 are reserved for work in progress on other branches (signing keys, PKI, networks,
        // key files, PostgreSQL checks); take the next free number when adding one.
    ];
}

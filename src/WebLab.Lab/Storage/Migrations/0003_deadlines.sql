-- Version 3: every job has a wall-clock deadline, and a job that passes it ends in the 'timedout' state.
--   timeout_ms   how long it may run, fixed at submit from the kind's setting (NULL for jobs submitted before version 3:
--                the runner uses the kind's current setting);
--   deadline_ms  when it must have finished (Unix ms): its first claim plus timeout_ms; retries keep it.
-- SQLite cannot widen a CHECK constraint in place, so the table is rebuilt (SQLite's "12-step" ALTER TABLE procedure:
-- Migrations.ApplyAsync turns foreign keys off around it, so dropping the old table cascades nothing, and runs
-- PRAGMA foreign_key_check before it commits).

CREATE TABLE jobs_new (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    owner            TEXT NOT NULL,
    name             TEXT NOT NULL,
    spec_json        TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'timedout')),
    priority         INTEGER NOT NULL DEFAULT 0,
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_ms INTEGER,
    claimed_ms       INTEGER,
    idempotency_key  TEXT UNIQUE,
    lane             TEXT NOT NULL,
    device           TEXT,
    progress_json    TEXT,
    result_json      TEXT,
    error            TEXT,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    visibility       TEXT NOT NULL DEFAULT 'group' CHECK (visibility IN ('group', 'private')),
    timeout_ms       INTEGER,
    deadline_ms      INTEGER
);

INSERT INTO jobs_new (id, kind, owner, name, spec_json, state, priority, attempt, max_attempts, lease_owner, lease_expires_ms, claimed_ms,
                      idempotency_key, lane, device, progress_json, result_json, error, last_seq, created_at, started_at, finished_at, visibility)
SELECT id, kind, owner, name, spec_json, state, priority, attempt, max_attempts, lease_owner, lease_expires_ms, claimed_ms,
       idempotency_key, lane, device, progress_json, result_json, error, last_seq, created_at, started_at, finished_at, visibility
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_queue ON jobs (state, lane, priority DESC, id);
CREATE INDEX jobs_owner ON jobs (owner, created_at);

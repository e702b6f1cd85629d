-- WebLab lab schema, version 1. Times: *_at TEXT are ISO-8601 UTC; *_ms INTEGER are Unix milliseconds.

CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    owner            TEXT NOT NULL,
    name             TEXT NOT NULL,
    spec_json        TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
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
    finished_at      TEXT
);
CREATE INDEX jobs_queue ON jobs (state, lane, priority DESC, id);
CREATE INDEX jobs_owner ON jobs (owner, created_at);

CREATE TABLE job_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX job_history_job ON job_history (job_id, id);

CREATE TABLE job_events (
    job_id       TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    type         TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);

CREATE TABLE metrics (
    job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    point       INTEGER NOT NULL,
    arm         TEXT NOT NULL,
    seed        INTEGER NOT NULL,
    epoch       INTEGER NOT NULL,
    values_json TEXT NOT NULL,
    PRIMARY KEY (job_id, point, arm, seed, epoch)
);

CREATE TABLE datasets (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    owner         TEXT NOT NULL,
    source        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('ingesting', 'ready', 'failed')),
    path          TEXT NOT NULL,
    manifest_json TEXT,
    error         TEXT,
    job_id        TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE checkpoints (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    owner      TEXT NOT NULL,
    path       TEXT NOT NULL,
    info_json  TEXT NOT NULL,
    parent_id  TEXT REFERENCES checkpoints (id) ON DELETE SET NULL,
    job_id     TEXT REFERENCES jobs (id) ON DELETE SET NULL,
    builtin    INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE files (
    id         TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('dataset', 'checkpoint', 'job')),
    owner_id   TEXT NOT NULL,
    role       TEXT NOT NULL,
    path       TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    sha256     TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX files_owner ON files (owner_kind, owner_id);

-- Accounts (schema version 2): people, their API tokens and one-time sign-in links, hackathon event codes, and who
-- may see each shared thing. Tokens and codes are stored as SHA-256 hashes (they are long random strings, so a fast
-- hash is enough); passwords as ASP.NET Core Identity PasswordHasher hashes (PBKDF2).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('guest', 'member', 'admin')),
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL CHECK (purpose IN ('api', 'link')),
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX tokens_user ON tokens (user_id, purpose);

CREATE TABLE event_codes (
    id         TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('guest', 'member')),
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);

ALTER TABLE jobs ADD COLUMN visibility TEXT NOT NULL DEFAULT 'group' CHECK (visibility IN ('group', 'private'));
ALTER TABLE datasets ADD COLUMN visibility TEXT NOT NULL DEFAULT 'group' CHECK (visibility IN ('group', 'private'));
ALTER TABLE checkpoints ADD COLUMN visibility TEXT NOT NULL DEFAULT 'group' CHECK (visibility IN ('group', 'private'));

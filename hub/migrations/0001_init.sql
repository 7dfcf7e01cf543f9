-- The hub's database: agents, visitors, chats, messages, read markers,
-- notifications, uploaded files and settings. Times are Unix milliseconds.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE visitors (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT,
    session_hash  TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE chats (
    id          TEXT PRIMARY KEY,
    visitor_id  TEXT NOT NULL REFERENCES visitors(id),
    subject     TEXT,
    status      TEXT NOT NULL CHECK (status IN ('PENDING', 'IN_PROGRESS', 'CLOSED')),
    assignee_id TEXT REFERENCES agents(id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    closed_at   INTEGER
) STRICT;
CREATE INDEX chats_by_updated ON chats(updated_at DESC);
CREATE INDEX chats_by_visitor ON chats(visitor_id);

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    chat_id           TEXT NOT NULL REFERENCES chats(id),
    sender_id         TEXT NOT NULL,
    sender_type       TEXT NOT NULL CHECK (sender_type IN ('visitor', 'agent', 'system')),
    content           TEXT NOT NULL,
    type              TEXT NOT NULL CHECK (type IN ('text', 'image', 'file')),
    is_internal       INTEGER NOT NULL,
    is_first_response INTEGER NOT NULL,
    sent_at           INTEGER NOT NULL,
    client_message_id TEXT,
    attachment        TEXT,
    UNIQUE (chat_id, sent_at)
) STRICT;
CREATE UNIQUE INDEX messages_by_client_id
    ON messages(sender_id, client_message_id) WHERE client_message_id IS NOT NULL;

CREATE TABLE read_markers (
    chat_id    TEXT NOT NULL REFERENCES chats(id),
    reader_id  TEXT NOT NULL,
    message_id TEXT NOT NULL REFERENCES messages(id),
    read_at    INTEGER NOT NULL,
    PRIMARY KEY (chat_id, reader_id)
) STRICT;

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL REFERENCES agents(id),
    type       TEXT NOT NULL,
    title      TEXT NOT NULL,
    message    TEXT NOT NULL,
    data       TEXT,
    created_at INTEGER NOT NULL,
    read_at    INTEGER
) STRICT;
CREATE INDEX notifications_by_agent ON notifications(agent_id, created_at DESC);

CREATE TABLE files (
    id          TEXT PRIMARY KEY,
    chat_id     TEXT NOT NULL REFERENCES chats(id),
    uploader_id TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

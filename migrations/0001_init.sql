-- The console's local cache, one database per account (server + agent).
-- Times are Unix milliseconds (server clock for sent_at/updated_at).

CREATE TABLE account (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    email      TEXT NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL
) STRICT;

CREATE TABLE chats (
    chat_id       TEXT PRIMARY KEY,
    visitor_id    TEXT NOT NULL,
    visitor_name  TEXT NOT NULL,
    visitor_email TEXT,
    status        TEXT NOT NULL,
    assignee_id   TEXT,
    subject       TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX chats_by_updated ON chats(updated_at DESC);

CREATE TABLE messages (
    message_id        TEXT PRIMARY KEY,
    chat_id           TEXT NOT NULL,
    sender_id         TEXT NOT NULL,
    sender_type       TEXT NOT NULL,
    content           TEXT NOT NULL,
    type              TEXT NOT NULL,
    is_internal       INTEGER NOT NULL,
    is_first_response INTEGER NOT NULL,
    sent_at           INTEGER NOT NULL,
    client_message_id TEXT,
    attachment        TEXT
);
CREATE INDEX messages_by_chat ON messages(chat_id, sent_at);
CREATE INDEX messages_by_client_id ON messages(client_message_id) WHERE client_message_id IS NOT NULL;

-- Messages written here and not yet accepted by the server.
CREATE TABLE outbox (
    client_message_id TEXT PRIMARY KEY,
    chat_id           TEXT NOT NULL,
    content           TEXT NOT NULL,
    type              TEXT NOT NULL,
    is_internal       INTEGER NOT NULL,
    attachment        TEXT,
    created_at        INTEGER NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    last_error        TEXT
) STRICT;

-- How far each scope is known complete: 'chats' (updatedAt) and
-- 'chat:<id>' (sentAt).
CREATE TABLE sync_cursors (
    scope TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

CREATE TABLE read_markers (
    chat_id    TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    sent_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    title      TEXT NOT NULL,
    message    TEXT NOT NULL,
    data       TEXT,
    created_at INTEGER NOT NULL,
    read       INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Full-text search over message text.
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content = 'messages', content_rowid = 'rowid');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;

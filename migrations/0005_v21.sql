-- Protocol v2.1 in the cache: what the server offers (asked at sign-in and
-- after each reconnect), each chat's tags and its visitor's context, and
-- the canned responses, so that all of it is there offline.
CREATE TABLE capabilities (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  TEXT NOT NULL,   -- '' for a plain v2 server
    features TEXT NOT NULL    -- JSON array of feature names
) STRICT;

ALTER TABLE chats ADD COLUMN tags TEXT;             -- JSON array; NULL: none known
ALTER TABLE chats ADD COLUMN visitor_context TEXT;  -- JSON VisitorContext

CREATE TABLE canned (
    id         TEXT PRIMARY KEY,
    shortcut   TEXT NOT NULL,
    title      TEXT NOT NULL,
    content    TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('team', 'personal')),
    updated_at INTEGER NOT NULL
) STRICT;

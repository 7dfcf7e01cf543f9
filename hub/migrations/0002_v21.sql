-- Protocol v2.1: automatic assignment, visitor context, tags, canned
-- responses, and per-reader lookups for read sync. Times are Unix ms.

-- Most chats to be assigned automatically (0: none), and when the agent was
-- last given a chat (ties go to the one whose last assignment is oldest).
ALTER TABLE agents ADD COLUMN max_chats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN last_assigned_at INTEGER;

-- The visitor's page, referrer, user agent, locale and time zone (JSON).
ALTER TABLE visitors ADD COLUMN context TEXT;
CREATE INDEX visitors_by_email ON visitors(email COLLATE NOCASE) WHERE email IS NOT NULL;

-- The agent who last sent the chat back to the queue: automatic assignment
-- never hands it straight back to them.
ALTER TABLE chats ADD COLUMN returned_by TEXT;
CREATE INDEX chats_by_status ON chats(status, created_at);
CREATE INDEX chats_by_assignee ON chats(assignee_id, status);

CREATE TABLE chat_tags (
    chat_id  TEXT NOT NULL REFERENCES chats(id),
    name     TEXT NOT NULL COLLATE NOCASE,
    position INTEGER NOT NULL,
    PRIMARY KEY (chat_id, name)
) STRICT;
CREATE INDEX chat_tags_by_name ON chat_tags(name);

-- Canned responses: a team one has no owner.
CREATE TABLE canned (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT REFERENCES agents(id),
    shortcut   TEXT NOT NULL,
    title      TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX canned_by_shortcut ON canned(COALESCE(owner_id, ''), shortcut);

-- An agent's markers by time, for its own `updatedSince`.
CREATE INDEX read_markers_by_reader ON read_markers(reader_id, read_at);

-- Every agent action besides messages goes through the durable outbox too:
-- written here first, shown at once (the `chats_now` view lays the pending
-- ones over the server's state), sent in order per chat with the messages
-- (one sequence for both tables), and kept, refused, when the server says
-- no: the chat's later items then wait for the agent.
CREATE TABLE actions (
    id           TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL UNIQUE,
    chat_id      TEXT,                -- NULL for canned-response edits
    kind         TEXT NOT NULL,       -- ActionKind as JSON (what to send)
    new_status   TEXT,                -- the chat's status and holder once it applies
    new_assignee TEXT,
    new_tags     TEXT,                -- JSON array, for a tags action
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'refused')),
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX actions_by_chat ON actions(chat_id, state, seq);

ALTER TABLE outbox ADD COLUMN seq INTEGER;
UPDATE outbox SET seq = rowid;

-- The chats as the console shows them: the server's state, with the newest
-- pending action's status, holder and tags laid over it (not one held behind
-- a refused action: a held close must not hide the server's state).
CREATE VIEW chats_now AS
SELECT c.chat_id, c.visitor_id, c.visitor_name, c.visitor_email,
       COALESCE(s.new_status, c.status) AS status,
       CASE WHEN s.id IS NULL THEN c.assignee_id ELSE s.new_assignee END AS assignee_id,
       c.subject, c.created_at, c.updated_at,
       COALESCE(t.new_tags, c.tags) AS tags,
       c.visitor_context
FROM chats c
LEFT JOIN actions s ON s.id = (
    SELECT a.id FROM actions a WHERE a.chat_id = c.chat_id AND a.state = 'pending'
      AND a.new_status IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM actions r WHERE r.chat_id = a.chat_id AND r.state = 'refused' AND r.seq < a.seq)
    ORDER BY a.seq DESC LIMIT 1)
LEFT JOIN actions t ON t.id = (
    SELECT a.id FROM actions a WHERE a.chat_id = c.chat_id AND a.state = 'pending'
      AND a.new_tags IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM actions r WHERE r.chat_id = a.chat_id AND r.state = 'refused' AND r.seq < a.seq)
    ORDER BY a.seq DESC LIMIT 1);

-- The team as last seen, for the transfer list and names offline.
CREATE TABLE agents (
    id         TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    max_chats  INTEGER,
    open_chats INTEGER
) STRICT;

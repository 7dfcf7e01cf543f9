-- Unread counts kept as messages arrive, not recounted: after each batch the
-- engine publishes each touched chat's count and the total over my chats,
-- and counting the unread rows then cost as much as the unread backlog.
-- "Unread" is the one definition of `switchboard_model::counts_as_unread`:
-- a message from someone else than me (the account's agent) and not from
-- the server, after the chat's read marker.
CREATE TABLE unread_counts (
    chat_id TEXT PRIMARY KEY,
    n       INTEGER NOT NULL CHECK (n >= 0)
) STRICT;

-- Every chat's count by a scan: the first fill, and a change of agent.
CREATE VIEW unread_recounted AS
SELECT m.chat_id, COUNT(*) AS n FROM messages m
LEFT JOIN read_markers r ON r.chat_id = m.chat_id
WHERE m.sender_type != 'system'
  AND m.sender_id != COALESCE((SELECT agent_id FROM account WHERE id = 1), '')
  AND m.sent_at > COALESCE(r.sent_at, -1)
GROUP BY m.chat_id;

INSERT INTO unread_counts (chat_id, n) SELECT chat_id, n FROM unread_recounted;

-- A message arrives: one more, if it counts (an ignored duplicate is no
-- insert, so it fires nothing).
CREATE TRIGGER unread_on_message AFTER INSERT ON messages
WHEN NEW.sender_type != 'system'
 AND NEW.sender_id != COALESCE((SELECT agent_id FROM account WHERE id = 1), '')
 AND NEW.sent_at > COALESCE((SELECT sent_at FROM read_markers WHERE chat_id = NEW.chat_id), -1)
BEGIN
    INSERT INTO unread_counts (chat_id, n) VALUES (NEW.chat_id, 1)
    ON CONFLICT (chat_id) DO UPDATE SET n = n + 1;
END;

-- The read marker moves (forward only): that chat is recounted from the
-- marker on, which reads only what is still unread in it. (An upsert: a
-- trigger's own OR REPLACE would give way to the outer statement's ABORT.)
CREATE TRIGGER unread_on_marker_set AFTER INSERT ON read_markers
BEGIN
    INSERT INTO unread_counts (chat_id, n)
    SELECT NEW.chat_id, COUNT(*) FROM messages
    WHERE chat_id = NEW.chat_id AND sent_at > NEW.sent_at AND sender_type != 'system'
      AND sender_id != COALESCE((SELECT agent_id FROM account WHERE id = 1), '')
    ON CONFLICT (chat_id) DO UPDATE SET n = excluded.n;
END;
CREATE TRIGGER unread_on_marker_moved AFTER UPDATE OF sent_at ON read_markers
BEGIN
    INSERT INTO unread_counts (chat_id, n)
    SELECT NEW.chat_id, COUNT(*) FROM messages
    WHERE chat_id = NEW.chat_id AND sent_at > NEW.sent_at AND sender_type != 'system'
      AND sender_id != COALESCE((SELECT agent_id FROM account WHERE id = 1), '')
    ON CONFLICT (chat_id) DO UPDATE SET n = excluded.n;
END;

-- Whose cache this is decides what counts: a new (or another) agent on the
-- account recounts everything, once (AFTER: the view reads the new agent).
CREATE TRIGGER unread_on_account_set AFTER INSERT ON account
BEGIN
    DELETE FROM unread_counts;
    INSERT INTO unread_counts (chat_id, n) SELECT chat_id, n FROM unread_recounted;
END;
CREATE TRIGGER unread_on_account_changed AFTER UPDATE OF agent_id ON account
WHEN OLD.agent_id != NEW.agent_id
BEGIN
    DELETE FROM unread_counts;
    INSERT INTO unread_counts (chat_id, n) SELECT chat_id, n FROM unread_recounted;
END;

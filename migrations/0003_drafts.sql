-- What the agent has written in a chat and not sent yet: the composer's
-- text and its mode (reply or internal note), kept across chat switches,
-- restarts and crashes. Local to this device; sending clears it.
CREATE TABLE drafts (
    chat_id    TEXT PRIMARY KEY REFERENCES chats(chat_id) ON DELETE CASCADE,
    content    TEXT NOT NULL,
    internal   INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    updated_at INTEGER NOT NULL
) STRICT;

-- Files staged in a chat's composer and not sent yet: part of its draft.
-- The bytes are a copy in the data directory (`path`), removed when the
-- file is sent or taken off the tray.
CREATE TABLE staged_files (
    id         TEXT PRIMARY KEY,
    chat_id    TEXT NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE,
    file_name  TEXT NOT NULL,
    path       TEXT NOT NULL,
    file_size  INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX staged_files_by_chat ON staged_files(chat_id, created_at);

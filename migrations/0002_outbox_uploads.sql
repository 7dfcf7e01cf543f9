-- An outbox entry may carry a file still to upload: a JSON
-- {path, fileName, mimeType, fileSize} of a copy kept in the data directory
-- until the server has it. Cleared once uploaded (then `attachment` is set).
ALTER TABLE outbox ADD COLUMN upload TEXT;

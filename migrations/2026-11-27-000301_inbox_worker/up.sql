-- A worker has one name: the inbox row names the `worker` that applied the event (as its queue,
-- its timeline entries, metrics and `[workers.<name>]` do), not a "consumer".
ALTER TABLE inbox RENAME COLUMN consumer TO worker;

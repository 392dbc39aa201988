ALTER TABLE inbox RENAME COLUMN worker TO consumer;

ALTER TABLE parties DROP COLUMN prefers_post;
DROP TABLE letters;

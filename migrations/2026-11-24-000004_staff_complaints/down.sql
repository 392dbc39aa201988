ALTER TABLE cases DROP COLUMN staff_reference;

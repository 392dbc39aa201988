-- Staff-behaviour complaints are confidential: the member of staff is known to the system only
-- by an opaque reference that their line manager resolves outside it. No name is ever stored.
ALTER TABLE cases ADD COLUMN staff_reference text;

ALTER TABLE systemic_issues
    DROP COLUMN tier,
    DROP COLUMN action_recorded_by,
    DROP COLUMN action_recorded_at;
ALTER TABLE cases DROP COLUMN awaiting_evidence;
ALTER TABLE cases DROP COLUMN consolatory_payment_pence, DROP COLUMN cmsf5551;

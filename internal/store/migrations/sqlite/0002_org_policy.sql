-- Per-organization password lifecycle (SPEC §2.3–2.7), seed values as defaults.
ALTER TABLE orgs ADD COLUMN password_max_age_days INTEGER NOT NULL DEFAULT 90;
ALTER TABLE orgs ADD COLUMN password_warning_days TEXT NOT NULL DEFAULT '20,10,5,3,2,1';
ALTER TABLE orgs ADD COLUMN inactivity_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE orgs ADD COLUMN suspension_grace_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE orgs ADD COLUMN password_history_depth INTEGER NOT NULL DEFAULT 5;

-- The country a phone number written without its country code is dialled
-- in (ISO 3166 alpha-2); the organizations so far are Italian.
ALTER TABLE orgs ADD COLUMN country TEXT NOT NULL DEFAULT 'IT';

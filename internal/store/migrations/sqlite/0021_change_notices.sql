-- PostgreSQL's 0021 adds triggers that announce changes to sessions,
-- accounts and organizations to every varco process. SQLite needs none:
-- store.DB.ChangeVersion reads PRAGMA data_version, which every commit of
-- any connection moves. This migration keeps the two engines' numbers in
-- step.
SELECT 1;

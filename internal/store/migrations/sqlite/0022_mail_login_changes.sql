-- PostgreSQL's 0022 announces changes to the other tables a mail login
-- reads (app passwords, mail protocols, authenticator devices, mail
-- throttling). SQLite needs nothing: store.DB.ChangeVersion reads PRAGMA
-- data_version, which every commit of any connection moves. This
-- migration keeps the two engines' numbers in step.
SELECT 1;

-- A sign-in's poll and a device replacement read the newest push request
-- of their flow (store.Q.PushRequestByFlow, PushRequestFor): without this
-- index each read walked every request ever made.
CREATE INDEX IF NOT EXISTS push_requests_flow ON push_requests(flow_id, purpose, id);

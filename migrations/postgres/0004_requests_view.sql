-- A view for people who read the ledger with SQL tools (psql, Grafana, Metabase): one row per
-- ledger row, its time as a timestamptz (exact to the millisecond), its amounts as exact
-- numeric USD, streamed as a boolean, its tags joined by commas in order. Nothing here is
-- stored: the tables stay the record, and the same view in migrations/sqlite/ has the same
-- columns (time and amounts as text there).
CREATE VIEW ledger_requests AS
SELECT
    l.seq,
    l.id,
    l.kind,
    timestamptz 'epoch' + l.ts_ms * interval '1 millisecond' AS sent_at,
    l.provider,
    l.model_requested,
    l.model_returned,
    l.endpoint,
    l.streamed = 1 AS streamed,
    l.outcome,
    l.http_status,
    l.attempts,
    l.input_tokens,
    l.cached_input_tokens,
    l.cache_write_tokens,
    l.cache_write_1h_tokens,
    l.output_tokens,
    l.reasoning_tokens,
    l.usage_source,
    (l.cost_nano::numeric / 1000000000)::numeric(30, 9) AS cost_usd,
    (l.list_cost_nano::numeric / 1000000000)::numeric(30, 9) AS list_cost_usd,
    l.price_table,
    l.list_price_table,
    l.latency_ms,
    l.first_token_ms,
    l.project,
    l.user_name,
    l.adjusts,
    (SELECT string_agg(t.tag, ',' ORDER BY t.tag COLLATE "C") FROM ledger_tags AS t WHERE t.seq = l.seq) AS tags
FROM ledger_rows AS l;

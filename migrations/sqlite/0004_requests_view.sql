-- A view for people who read the ledger with SQL tools (sqlite3, Grafana, Metabase): one row per
-- ledger row, its time as ISO 8601 text in UTC with milliseconds, its amounts as exact decimal
-- USD text (SQLite has no decimal type, and a REAL would round nano-dollars away), its tags
-- joined by commas in order. Nothing here is stored: the tables stay the record, and the same
-- view in migrations/postgres/ has the same columns with PostgreSQL's types.
CREATE VIEW ledger_requests AS
SELECT
    l.seq,
    l.id,
    l.kind,
    strftime('%Y-%m-%dT%H:%M:%S', (l.ts_ms - ((l.ts_ms % 1000) + 1000) % 1000) / 1000, 'unixepoch')
        || '.' || substr('00' || (((l.ts_ms % 1000) + 1000) % 1000), -3) || 'Z' AS sent_at,
    l.provider,
    l.model_requested,
    l.model_returned,
    l.endpoint,
    l.streamed,
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
    CASE
        WHEN l.cost_nano IS NULL THEN NULL
        WHEN l.cost_nano = -9223372036854775807 - 1 THEN '-9223372036.854775808'
        ELSE (CASE WHEN l.cost_nano < 0 THEN '-' ELSE '' END) || (abs(l.cost_nano) / 1000000000)
            || '.' || substr('00000000' || (abs(l.cost_nano) % 1000000000), -9)
    END AS cost_usd,
    CASE
        WHEN l.list_cost_nano IS NULL THEN NULL
        WHEN l.list_cost_nano = -9223372036854775807 - 1 THEN '-9223372036.854775808'
        ELSE (CASE WHEN l.list_cost_nano < 0 THEN '-' ELSE '' END) || (abs(l.list_cost_nano) / 1000000000)
            || '.' || substr('00000000' || (abs(l.list_cost_nano) % 1000000000), -9)
    END AS list_cost_usd,
    l.price_table,
    l.list_price_table,
    l.latency_ms,
    l.first_token_ms,
    l.project,
    l.user_name,
    l.adjusts,
    (SELECT group_concat(t.tag, ',') FROM (SELECT tag FROM ledger_tags WHERE seq = l.seq ORDER BY tag) AS t) AS tags
FROM ledger_rows AS l;

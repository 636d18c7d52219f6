-- The ledger: one row per metered request, or per adjustment of an earlier row.
-- Rows are written once and never changed (see the triggers below); money is integer nano-USD.
-- No API key, prompt or completion text is ever stored here.
CREATE TABLE ledger_rows (
    seq                   INTEGER PRIMARY KEY,  -- append order; adjustments point at it
    id                    TEXT    NOT NULL,     -- the client's X-Request-ID, or a new UUID
    kind                  TEXT    NOT NULL CHECK (kind IN ('request', 'adjustment')),
    ts_ms                 INTEGER NOT NULL,     -- UTC, milliseconds since 1970
    provider              TEXT    NOT NULL,
    model_requested       TEXT    NOT NULL,
    model_returned        TEXT,
    endpoint              TEXT    NOT NULL,
    streamed              INTEGER NOT NULL CHECK (streamed IN (0, 1)),
    outcome               TEXT    NOT NULL CHECK (outcome IN ('ok', 'error', 'cancelled', 'interrupted')),
    http_status           INTEGER,
    attempts              INTEGER NOT NULL,
    input_tokens          INTEGER NOT NULL,
    cached_input_tokens   INTEGER NOT NULL,
    cache_write_tokens    INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    reasoning_tokens      INTEGER NOT NULL,
    usage_source          TEXT    NOT NULL CHECK (usage_source IN ('reported', 'estimated')),
    usage_flags           INTEGER NOT NULL,
    cost_nano             INTEGER,              -- NULL: unpriced (unknown, not zero)
    list_cost_nano        INTEGER,              -- NULL: no official price known
    price_table           TEXT,                 -- the entry cost_nano was computed from
    price_provider        TEXT,
    price_model           TEXT,
    price_from            TEXT,
    price_tier            INTEGER,
    list_price_table      TEXT,                 -- the official entry list_cost_nano was computed from
    list_price_provider   TEXT,
    list_price_model      TEXT,
    list_price_from       TEXT,
    list_price_tier       INTEGER,
    latency_ms            INTEGER,
    first_token_ms        INTEGER,
    project               TEXT,
    user_name             TEXT,
    adjusts               INTEGER REFERENCES ledger_rows (seq),
    CHECK ((kind = 'adjustment') = (adjusts IS NOT NULL))
);
CREATE INDEX ledger_rows_by_time ON ledger_rows (ts_ms);

-- Attribution tags, one row per (ledger row, tag). Tag reports join by seq over a time range.
CREATE TABLE ledger_tags (
    seq INTEGER NOT NULL REFERENCES ledger_rows (seq),
    tag TEXT    NOT NULL,
    PRIMARY KEY (seq, tag)
) WITHOUT ROWID;

CREATE TRIGGER ledger_rows_are_never_updated BEFORE UPDATE ON ledger_rows
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: write an adjustment instead'); END;
CREATE TRIGGER ledger_rows_are_never_deleted BEFORE DELETE ON ledger_rows
BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: write an adjustment instead'); END;
CREATE TRIGGER ledger_tags_are_never_updated BEFORE UPDATE ON ledger_tags
BEGIN SELECT RAISE(ABORT, 'ledger tags are append-only'); END;
CREATE TRIGGER ledger_tags_are_never_deleted BEFORE DELETE ON ledger_tags
BEGIN SELECT RAISE(ABORT, 'ledger tags are append-only'); END;

-- Sums of ledger_rows, maintained in the transaction that appends the rows.
-- grain 1: UTC hour × provider × model           (project = user = '')
-- grain 2: UTC day  × provider × model           (project = user = '')
-- grain 3: UTC day  × provider × model × project × user
-- bucket: floor(ts_ms / 3600000) for hours, floor(ts_ms / 86400000) for days.
-- model is the model requested; a missing project or user is ''.
CREATE TABLE ledger_rollup (
    grain                 INTEGER NOT NULL,
    bucket                INTEGER NOT NULL,
    provider              TEXT    NOT NULL,
    model                 TEXT    NOT NULL,
    project               TEXT    NOT NULL,
    user_name             TEXT    NOT NULL,
    requests              INTEGER NOT NULL,     -- rows of kind 'request'
    adjustments           INTEGER NOT NULL,     -- rows of kind 'adjustment'
    estimated             INTEGER NOT NULL,     -- rows whose usage was estimated
    unpriced              INTEGER NOT NULL,     -- rows with cost_nano NULL
    without_list_price    INTEGER NOT NULL,     -- rows with list_cost_nano NULL
    input_tokens          INTEGER NOT NULL,
    cached_input_tokens   INTEGER NOT NULL,
    cache_write_tokens    INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    reasoning_tokens      INTEGER NOT NULL,
    cost_nano             INTEGER NOT NULL,     -- sum of the known costs
    list_cost_nano        INTEGER NOT NULL,     -- sum of list_cost_nano over rows with both amounts
    listed_cost_nano      INTEGER NOT NULL,     -- sum of cost_nano over the same rows (savings = list - listed)
    PRIMARY KEY (grain, bucket, provider, model, project, user_name)
) WITHOUT ROWID;

-- Requests sent upstream and not yet in ledger_rows. A row is removed in the transaction that
-- appends its ledger row; leftovers of processes that are gone become 'interrupted' rows.
CREATE TABLE ledger_journal (
    seq                    INTEGER PRIMARY KEY,
    id                     TEXT    NOT NULL,
    ts_ms                  INTEGER NOT NULL,
    provider               TEXT    NOT NULL,
    model_requested        TEXT    NOT NULL,
    endpoint               TEXT    NOT NULL,
    streamed               INTEGER NOT NULL,
    estimated_input_tokens INTEGER NOT NULL,
    project                TEXT,
    user_name              TEXT,
    tags                   TEXT    NOT NULL,    -- tags joined by U+001F
    owner_pid              INTEGER NOT NULL,    -- the process that began the request
    owner_start            INTEGER NOT NULL,    -- its start time (/proc/PID/stat field 22)
    owner_boot             TEXT    NOT NULL     -- the boot it ran in (/proc/sys/kernel/random/boot_id)
);

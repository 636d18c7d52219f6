-- The ledger on PostgreSQL: the same tables, columns and meaning as migrations/sqlite/0001_ledger.sql.
-- One row per metered request, or per adjustment of an earlier row. Rows are written once and
-- never changed (see the triggers below); money is integer nano-USD in bigint. No API key, prompt
-- or completion text is ever stored here.
CREATE TABLE ledger_rows (
    seq                   bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- append order
    id                    text    NOT NULL,     -- the client's X-Request-ID, or a new UUID
    kind                  text    NOT NULL CHECK (kind IN ('request', 'adjustment')),
    ts_ms                 bigint  NOT NULL,     -- UTC, milliseconds since 1970
    provider              text    NOT NULL,
    model_requested       text    NOT NULL,
    model_returned        text,
    endpoint              text    NOT NULL,
    streamed              integer NOT NULL CHECK (streamed IN (0, 1)),
    outcome               text    NOT NULL CHECK (outcome IN ('ok', 'error', 'cancelled', 'interrupted')),
    http_status           integer,
    attempts              integer NOT NULL,
    input_tokens          bigint  NOT NULL,
    cached_input_tokens   bigint  NOT NULL,
    cache_write_tokens    bigint  NOT NULL,
    cache_write_1h_tokens bigint  NOT NULL,
    output_tokens         bigint  NOT NULL,
    reasoning_tokens      bigint  NOT NULL,
    usage_source          text    NOT NULL CHECK (usage_source IN ('reported', 'estimated')),
    usage_flags           bigint  NOT NULL,
    cost_nano             bigint,               -- NULL: unpriced (unknown, not zero)
    list_cost_nano        bigint,               -- NULL: no official price known
    price_table           text,                 -- the entry cost_nano was computed from
    price_provider        text,
    price_model           text,
    price_from            text,
    price_tier            integer,
    list_price_table      text,                 -- the official entry list_cost_nano was computed from
    list_price_provider   text,
    list_price_model      text,
    list_price_from       text,
    list_price_tier       integer,
    latency_ms            bigint,
    first_token_ms        bigint,
    project               text,
    user_name             text,
    adjusts               bigint REFERENCES ledger_rows (seq),
    CHECK ((kind = 'adjustment') = (adjusts IS NOT NULL))
);
CREATE INDEX ledger_rows_by_time ON ledger_rows (ts_ms);

-- Attribution tags, one row per (ledger row, tag).
CREATE TABLE ledger_tags (
    seq bigint NOT NULL REFERENCES ledger_rows (seq),
    tag text   NOT NULL,
    PRIMARY KEY (seq, tag)
);

-- Append-only in the database itself: UPDATE, DELETE and TRUNCATE of rows or tags are refused,
-- whoever asks (the tally_writer role of docs/ledger.md cannot even try).
CREATE FUNCTION tally_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: write an adjustment instead', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER ledger_rows_are_never_changed BEFORE UPDATE OR DELETE ON ledger_rows
    FOR EACH ROW EXECUTE FUNCTION tally_refuse_change();
CREATE TRIGGER ledger_rows_are_never_truncated BEFORE TRUNCATE ON ledger_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tally_refuse_change();
CREATE TRIGGER ledger_tags_are_never_changed BEFORE UPDATE OR DELETE ON ledger_tags
    FOR EACH ROW EXECUTE FUNCTION tally_refuse_change();
CREATE TRIGGER ledger_tags_are_never_truncated BEFORE TRUNCATE ON ledger_tags
    FOR EACH STATEMENT EXECUTE FUNCTION tally_refuse_change();

-- Sums of ledger_rows, maintained in the transaction that appends the rows (0002 gives them
-- their exact form).
CREATE TABLE ledger_rollup (
    grain                 integer NOT NULL,
    bucket                bigint  NOT NULL,
    provider              text    NOT NULL,
    model                 text    NOT NULL,
    project               text    NOT NULL,
    user_name             text    NOT NULL,
    requests              bigint  NOT NULL,
    adjustments           bigint  NOT NULL,
    estimated             bigint  NOT NULL,
    unpriced              bigint  NOT NULL,
    without_list_price    bigint  NOT NULL,
    input_tokens          bigint  NOT NULL,
    cached_input_tokens   bigint  NOT NULL,
    cache_write_tokens    bigint  NOT NULL,
    cache_write_1h_tokens bigint  NOT NULL,
    output_tokens         bigint  NOT NULL,
    reasoning_tokens      bigint  NOT NULL,
    cost_nano             bigint  NOT NULL,
    list_cost_nano        bigint  NOT NULL,
    listed_cost_nano      bigint  NOT NULL,
    PRIMARY KEY (grain, bucket, provider, model, project, user_name)
);

-- Requests sent upstream and not yet in ledger_rows. A row is removed in the transaction that
-- appends its ledger row; leftovers of processes that are gone become 'interrupted' rows.
-- Several hosts write one database, so the owner is named by its host too.
CREATE TABLE ledger_journal (
    seq                    bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                     text    NOT NULL,
    ts_ms                  bigint  NOT NULL,
    provider               text    NOT NULL,
    model_requested        text    NOT NULL,
    endpoint               text    NOT NULL,
    streamed               integer NOT NULL,
    estimated_input_tokens bigint  NOT NULL,
    project                text,
    user_name              text,
    tags                   text    NOT NULL,    -- tags joined by U+001F
    owner_pid              bigint  NOT NULL,    -- the process that began the request
    owner_start            bigint  NOT NULL,    -- its start time (/proc/PID/stat field 22)
    owner_boot             text    NOT NULL,    -- the boot it ran in (/proc/sys/kernel/random/boot_id)
    owner_host             text    NOT NULL     -- the host it ran on (uname nodename)
);

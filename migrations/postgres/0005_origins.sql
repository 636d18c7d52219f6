-- Where a shipped row came from. A gateway meters into a local spool (a SQLite ledger) and a
-- shipper moves the spool's rows here; each shipped row keeps the spool's instance id and its
-- sequence number there. The pair is unique, so no row is shipped twice, and the largest
-- origin_seq of an instance is how far that spool has shipped (read back on every start, so a
-- lost local mark never ships a row again). Rows written here directly have no origin row.
CREATE TABLE ledger_origins (
    seq        bigint NOT NULL PRIMARY KEY REFERENCES ledger_rows (seq),
    instance   text   NOT NULL,
    origin_seq bigint NOT NULL,
    UNIQUE (instance, origin_seq)
);
CREATE TRIGGER ledger_origins_are_never_changed BEFORE UPDATE OR DELETE ON ledger_origins
    FOR EACH ROW EXECUTE FUNCTION tally_refuse_change();
CREATE TRIGGER ledger_origins_are_never_truncated BEFORE TRUNCATE ON ledger_origins
    FOR EACH STATEMENT EXECUTE FUNCTION tally_refuse_change();

-- This ledger's own instance id, made once when it is first used as a spool (one row).
CREATE TABLE ledger_instance (
    id         text   NOT NULL PRIMARY KEY,
    created_ms bigint NOT NULL
);

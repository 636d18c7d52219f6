-- Where a shipped row came from. A gateway meters into a local spool (a SQLite ledger) and a
-- shipper moves the spool's rows into a shared ledger; each shipped row keeps the spool's
-- instance id and its sequence number there. The pair is unique, so no row is shipped twice,
-- and the largest origin_seq of an instance is how far that spool has shipped (read back on
-- every start, so a lost local mark never ships a row again). Rows written directly have no
-- origin row. The same tables are in migrations/postgres/.
CREATE TABLE ledger_origins (
    seq        INTEGER NOT NULL PRIMARY KEY REFERENCES ledger_rows (seq),
    instance   TEXT    NOT NULL,
    origin_seq INTEGER NOT NULL,
    UNIQUE (instance, origin_seq)
);
CREATE TRIGGER ledger_origins_are_never_updated BEFORE UPDATE ON ledger_origins
BEGIN SELECT RAISE(ABORT, 'ledger origins are append-only'); END;
CREATE TRIGGER ledger_origins_are_never_deleted BEFORE DELETE ON ledger_origins
BEGIN SELECT RAISE(ABORT, 'ledger origins are append-only'); END;

-- This ledger's own instance id, made once when it is first used as a spool (one row).
CREATE TABLE ledger_instance (
    id         TEXT    NOT NULL PRIMARY KEY,
    created_ms INTEGER NOT NULL
);

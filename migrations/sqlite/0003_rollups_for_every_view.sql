-- Rollups for every report view, in every time zone.
--
-- ledger_rollup keeps, beside its earlier grains (1: UTC hour × provider × model, 2: UTC day ×
-- provider × model, 3: UTC day × provider × model × project × user), the grains
--   4: UTC quarter-hour total          5: UTC day total
--   6: UTC hour × project × user       7: UTC day × project × user
--   8: UTC day × provider × model × project
-- with '' in the key columns a grain does not keep. Every zone's offset is a whole number of
-- quarter-hours, so a local day or month is whole UTC days, whole hours and quarter-hours;
-- what no grain of the report's family covers (at most the quarter-hours at each end, or the
-- ragged hours for the families without an hour grain) is read from the rows.
--
-- ledger_tag_rollup keeps the same sums per tag: a row counts once under each of its tags, an
-- untagged row once under ''. Grains 9: UTC hour × tag, 10: UTC day × tag, 11: UTC day × tag ×
-- provider × model.
--
-- Both tables are filled from ledger_rows in this migration's transaction (the marker below),
-- with the same sums `tally ledger verify` recounts.
-- tally: rebuild rollups
CREATE TABLE ledger_tag_rollup (
    grain                 INTEGER NOT NULL,
    bucket                INTEGER NOT NULL,
    tag                   TEXT    NOT NULL,     -- '' for untagged rows
    provider              TEXT    NOT NULL,
    model                 TEXT    NOT NULL,
    project               TEXT    NOT NULL,
    user_name             TEXT    NOT NULL,
    requests              INTEGER NOT NULL,
    adjustments           INTEGER NOT NULL,
    estimated             INTEGER NOT NULL,
    unpriced              INTEGER NOT NULL,
    without_list_price    INTEGER NOT NULL,
    implausible           INTEGER NOT NULL,
    input_tokens          INTEGER NOT NULL,
    cached_input_tokens   INTEGER NOT NULL,
    cache_write_tokens    INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    reasoning_tokens      INTEGER NOT NULL,
    cost_nano_high        INTEGER NOT NULL,
    cost_nano_low         INTEGER NOT NULL,
    list_cost_nano_high   INTEGER NOT NULL,
    list_cost_nano_low    INTEGER NOT NULL,
    listed_cost_nano_high INTEGER NOT NULL,
    listed_cost_nano_low  INTEGER NOT NULL,
    PRIMARY KEY (grain, bucket, tag, provider, model, project, user_name)
) WITHOUT ROWID;

-- Rollup sums that cannot overflow, and rows whose usage is implausible left out of every sum.
--
-- Each amount is kept as two sums, high = Σ (amount >> 32) and low = Σ (amount & 0xFFFFFFFF),
-- so the exact sum is high × 2^32 + low: neither column can overflow before 2^31 rows in a
-- bucket, and readers combine them in 128 bits. A row with a token count below 0 or above the
-- plausibility bound (10^9, Usage.plausibleMaximum) counts as a request, as unpriced and as
-- implausible, and adds no tokens and no amounts.
--
-- The table is recreated empty; Tally then fills it again from ledger_rows in this migration's
-- transaction (the marker below), with the same sums `tally ledger verify` recounts.
-- tally: rebuild rollups
DROP TABLE ledger_rollup;
CREATE TABLE ledger_rollup (
    grain                 integer NOT NULL,     -- 1: UTC hour × provider × model (project = user = '')
    bucket                bigint  NOT NULL,     -- 2: UTC day × provider × model (project = user = '')
    provider              text    NOT NULL,     -- 3: UTC day × provider × model × project × user
    model                 text    NOT NULL,     -- the model requested
    project               text    NOT NULL,     -- '' when missing
    user_name             text    NOT NULL,     -- '' when missing
    requests              bigint  NOT NULL,     -- rows of kind 'request'
    adjustments           bigint  NOT NULL,     -- rows of kind 'adjustment'
    estimated             bigint  NOT NULL,     -- rows whose usage was estimated
    unpriced              bigint  NOT NULL,     -- rows with cost_nano NULL, or implausible
    without_list_price    bigint  NOT NULL,     -- rows with list_cost_nano NULL, or implausible
    implausible           bigint  NOT NULL,     -- rows with a token count below 0 or above the bound
    input_tokens          bigint  NOT NULL,     -- token sums over the plausible rows
    cached_input_tokens   bigint  NOT NULL,
    cache_write_tokens    bigint  NOT NULL,
    cache_write_1h_tokens bigint  NOT NULL,
    output_tokens         bigint  NOT NULL,
    reasoning_tokens      bigint  NOT NULL,
    cost_nano_high        bigint  NOT NULL,     -- the known costs of the plausible rows
    cost_nano_low         bigint  NOT NULL,
    list_cost_nano_high   bigint  NOT NULL,     -- list costs over the plausible rows with both amounts
    list_cost_nano_low    bigint  NOT NULL,
    listed_cost_nano_high bigint  NOT NULL,     -- costs over the same rows (savings = list - listed)
    listed_cost_nano_low  bigint  NOT NULL,
    PRIMARY KEY (grain, bucket, provider, model, project, user_name)
);

-- Query feeds (design.md section 3): a read-only SQL query over a partner's own operational
-- tables, run every poll interval, returning one row per site: (site text, value double precision).
-- The values it returns are the metric named by the feed, observed at the time the query ran.
-- The text is written by whoever administers the hub, never built from user input, and runs
-- through the partner's read-only login with default_transaction_read_only and a statement timeout.

ALTER TABLE commcell.feed DROP CONSTRAINT feed_kind_check;
ALTER TABLE commcell.feed ADD CONSTRAINT feed_kind_check CHECK (kind IN ('observation', 'query'));

ALTER TABLE commcell.feed
    ADD COLUMN metric text,
    ADD COLUMN query  text;

ALTER TABLE commcell.feed ADD CONSTRAINT feed_shape_check CHECK (
    (kind = 'observation' AND metric IS NULL AND query IS NULL)
    OR (kind = 'query' AND metric IS NOT NULL AND query IS NOT NULL AND length(query) <= 20000));

-- A query feed computes a metric defined for the same partner. Deferred so a seed or a manager
-- can insert feed and metric in either order within one transaction.
ALTER TABLE commcell.feed ADD CONSTRAINT feed_metric_fkey
    FOREIGN KEY (partner, metric) REFERENCES commcell.metric (partner, key)
    ON UPDATE CASCADE ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;

-- One query feed per metric: two would fight over the same value.
CREATE UNIQUE INDEX feed_one_query_per_metric ON commcell.feed (partner, metric) WHERE kind = 'query';

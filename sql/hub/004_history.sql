-- History of every value commcell accepted, and quarantine of every row it refused.
--
-- Storage choice: history is range-partitioned by day on observed_at. At one value per metric
-- per minute for 200 metrics a month is ~8.6 million rows; daily partitions keep each index small,
-- let /api/history's time range prune to the days it needs, and make retention a DROP of whole
-- partitions instead of a DELETE that bloats the table. Inside a partition a btree on
-- (partner, metric, site, observed_at) serves "one series over a time range" directly.
-- (BRIN on observed_at alone would be smaller, but the queries are per series, and rows of many
-- series interleave in time, so BRIN would still read every series' blocks.)

CREATE TABLE commcell.history (
    partner     text NOT NULL,
    metric      text NOT NULL,
    site        text NOT NULL,
    value       double precision NOT NULL,
    observed_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (observed_at);

-- Unique: a value re-read after a restart (a feed's first load) is written once.
CREATE UNIQUE INDEX history_series ON commcell.history (partner, metric, site, observed_at);

-- Rows too old or too far ahead for any partition land here instead of failing the batch.
CREATE TABLE commcell.history_default PARTITION OF commcell.history DEFAULT;

-- Create the daily partitions covering [from_day, to_day]. Idempotent.
CREATE OR REPLACE FUNCTION commcell.history_ensure_partitions(from_day date, to_day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    d date := from_day;
    made integer := 0;
    name text;
BEGIN
    WHILE d <= to_day LOOP
        name := 'history_' || to_char(d, 'YYYYMMDD');
        IF to_regclass('commcell.' || name) IS NULL THEN
            EXECUTE format('CREATE TABLE commcell.%I PARTITION OF commcell.history '
                           'FOR VALUES FROM (%L) TO (%L)',
                           name, d::timestamptz, (d + 1)::timestamptz);
            made := made + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN made;
END;
$$;

-- Drop daily partitions that end before now() - keep. Returns how many were dropped.
CREATE OR REPLACE FUNCTION commcell.history_apply_retention(keep interval)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    r record;
    dropped integer := 0;
BEGIN
    FOR r IN
        SELECT c.relname FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent
          JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = 'commcell' AND p.relname = 'history'
           AND c.relname ~ '^history_[0-9]{8}$'
           AND to_date(substr(c.relname, 9), 'YYYYMMDD') + 1 <= (now() - keep)::date
    LOOP
        EXECUTE format('DROP TABLE commcell.%I', r.relname);
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM commcell.history_default WHERE observed_at < now() - keep;
    RETURN dropped;
END;
$$;

SELECT commcell.history_ensure_partitions(current_date - 1, current_date + 7);

-- Rows commcell refused, with why. Managers see these in /api/quarantine.
CREATE TABLE commcell.quarantine (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner     text NOT NULL,
    feed_id     integer,
    row_id      bigint,             -- the partner's observation id, when there is one
    metric      text,
    site        text,
    value       text,               -- as received, so NaN and NULL show as they came
    observed_at timestamptz,
    reason      text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_received ON commcell.quarantine (received_at);

-- History from the first start (issue 16): query feeds evaluated as of an instant, and a
-- backfill of each query feed's history from the partner's own rows (daemon/backfill.c).

-- The query takes the instant it is evaluated at as $1 (timestamptz, written $1::timestamptz
-- where a live-only query says now()). Live polls pass the instant the poll was sent, which is
-- also the value's observed_at; the backfill passes past instants. Explicit rather than detected
-- from the text: "$1" may sit in a comment or a string literal, only the partner's parser knows
-- for sure, and a flag lets an administrator convert feeds one at a time. A flag that does not
-- match the text fails that feed with an error saying so (GET /api/feeds), nothing else.
ALTER TABLE commcell.feed ADD COLUMN as_of boolean NOT NULL DEFAULT false;

-- A value computed afterwards by evaluating the feed's query as of observed_at, not read live.
ALTER TABLE commcell.history ADD COLUMN backfilled boolean NOT NULL DEFAULT false;

-- One row per range of instants the backfill evaluated, so a restart does not evaluate it again:
-- an instant whose query returned no rows (say, before the partner's system went live) leaves no
-- history behind but is done all the same. Keyed by metric rather than feed: a feed replaced by
-- another for the same metric does not rewrite history already there.
CREATE TABLE commcell.backfill_run (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id     integer NOT NULL,
    partner     text NOT NULL,
    metric      text NOT NULL,
    from_at     timestamptz NOT NULL,      -- the oldest instant evaluated
    to_at       timestamptz NOT NULL,      -- the newest
    instants    integer NOT NULL,          -- instants evaluated (on the 15-minute grid)
    points      integer NOT NULL,          -- history rows written
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    instance    text,
    FOREIGN KEY (partner, metric) REFERENCES commcell.metric (partner, key)
        ON UPDATE CASCADE ON DELETE CASCADE,
    CHECK (from_at <= to_at)
);
CREATE INDEX backfill_run_series ON commcell.backfill_run (partner, metric, from_at);

-- Instants someone asks to have evaluated, off the grid and whether or not history is there:
-- after a partner corrected its rows, or to compare the as-of query with what was recorded live.
-- The backfill takes them before any hole and deletes each once evaluated.
CREATE TABLE commcell.backfill_request (
    partner text NOT NULL,
    metric  text NOT NULL,
    at      timestamptz NOT NULL,
    PRIMARY KEY (partner, metric, at),
    FOREIGN KEY (partner, metric) REFERENCES commcell.metric (partner, key)
        ON UPDATE CASCADE ON DELETE CASCADE
);

-- The next instants to evaluate for one metric, newest first, at most p_limit of them, with how
-- many are left in all. Requested instants come first. Otherwise: the holes in the metric's
-- history within the last p_days - a stretch longer than p_min_gap with no value for any site,
-- the window's ends counting as values - cut on a 15-minute grid (multiples of 15 minutes since
-- the epoch, so the instants are the same from one run to the next), less instants a recorded
-- run already evaluated.
CREATE OR REPLACE FUNCTION commcell.backfill_instants(
    p_partner text, p_metric text, p_days integer, p_min_gap interval, p_limit integer)
RETURNS TABLE (at_ms bigint, requested boolean, remaining bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    until timestamptz := now();
    since timestamptz := now() - make_interval(days => p_days);
BEGIN
    IF EXISTS (SELECT 1 FROM commcell.backfill_request r
                WHERE r.partner = p_partner AND r.metric = p_metric) THEN
        RETURN QUERY
            SELECT (extract(epoch FROM r.at) * 1000)::bigint, true, count(*) OVER ()
              FROM commcell.backfill_request r
             WHERE r.partner = p_partner AND r.metric = p_metric
             ORDER BY r.at DESC LIMIT p_limit;
        RETURN;
    END IF;
    RETURN QUERY
        WITH edges AS (
            SELECT DISTINCT h.observed_at AS t FROM commcell.history h
             WHERE h.partner = p_partner AND h.metric = p_metric
               AND h.observed_at > since AND h.observed_at < until
            UNION SELECT since UNION SELECT until
        ), gaps AS (
            SELECT lag(t) OVER (ORDER BY t) AS lo, t AS hi FROM edges
        ), grid AS (
            SELECT g.at FROM gaps, LATERAL generate_series(
                       to_timestamp(floor(extract(epoch FROM gaps.lo) / 900) * 900 + 900),
                       gaps.hi - interval '1 microsecond', interval '15 minutes') AS g(at)
             WHERE gaps.lo IS NOT NULL AND gaps.hi - gaps.lo > p_min_gap
        )
        SELECT (extract(epoch FROM g.at) * 1000)::bigint, false, count(*) OVER ()
          FROM grid g
         WHERE NOT EXISTS (SELECT 1 FROM commcell.backfill_run r
                            WHERE r.partner = p_partner AND r.metric = p_metric
                              AND g.at BETWEEN r.from_at AND r.to_at)
         ORDER BY g.at DESC LIMIT p_limit;
END;
$$;

-- Write what one chunk of evaluations found, in one transaction with the record that the chunk
-- is done: history rows (p_rows: [{"site","value","at"}], at in ISO 8601) marked backfilled, a
-- run (or, for requested instants, the requests deleted), and the daily figures of the days it
-- touched. p_instants: the instants evaluated, ISO 8601. Returns the history rows written.
CREATE OR REPLACE FUNCTION commcell.backfill_record(
    p_feed integer, p_partner text, p_metric text, p_started timestamptz, p_requested boolean,
    p_instants jsonb, p_rows jsonb, p_instance text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz;
    hi timestamptz;
    n_instants integer;
    written integer;
BEGIN
    SELECT min(i::timestamptz), max(i::timestamptz), count(*)
      INTO lo, hi, n_instants
      FROM jsonb_array_elements_text(p_instants) AS i;
    IF n_instants = 0 THEN
        RETURN 0;
    END IF;
    -- Past days have no partition yet; without one the rows would land in history_default.
    -- A default partition already holding rows of those days refuses the new partition: then
    -- the rows go there too.
    BEGIN
        PERFORM commcell.history_ensure_partitions(lo::date, hi::date);
    EXCEPTION WHEN others THEN
        NULL;
    END;
    INSERT INTO commcell.history (partner, metric, site, value, observed_at, backfilled)
    SELECT p_partner, p_metric, r->>'site', (r->>'value')::double precision,
           (r->>'at')::timestamptz, true
      FROM jsonb_array_elements(p_rows) AS r
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF p_requested THEN
        DELETE FROM commcell.backfill_request r
         WHERE r.partner = p_partner AND r.metric = p_metric
           AND r.at IN (SELECT i::timestamptz FROM jsonb_array_elements_text(p_instants) AS i);
    ELSE
        INSERT INTO commcell.backfill_run (feed_id, partner, metric, from_at, to_at, instants,
                                           points, started_at, instance)
        VALUES (p_feed, p_partner, p_metric, lo, hi, n_instants, written, p_started, p_instance);
    END IF;
    -- The daily figures (018_daily.sql) of the days the chunk touched, when that is installed.
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'commcell' AND p.proname = 'daily_refresh') THEN
        EXECUTE 'SELECT commcell.daily_refresh($1, $2, $3, $4, $5)'
          USING (lo AT TIME ZONE 'Europe/London')::date, (hi AT TIME ZONE 'Europe/London')::date,
                p_partner, p_metric, NULL::text;
    END IF;
    RETURN written;
END;
$$;

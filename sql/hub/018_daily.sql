-- Daily figures (issue 16): commcell.daily kept up to date from commcell.history, each day's
-- figure judged against the metric's thresholds, and one series' days with its goal's
-- trajectory as /api/daily (and the board report) read them. Days are local days in
-- Europe/London: a day runs from local midnight to local midnight (23 or 25 hours at the
-- clock changes).

-- Today, in Europe/London, whatever the session's time zone.
CREATE FUNCTION commcell.london_today() RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE 'Europe/London')::date
$$;

-- Recompute the daily figures of local days p_from..p_to (of one partner, metric or site when
-- given) from history, as each metric's `daily` says:
--   last  the value observed last in the day;
--   mean  the mean of the day's 15-minute bucket means: a feed polled every few seconds and a
--         backfilled point every quarter of an hour weigh the same per stretch of the day;
--   max, min  the day's highest or lowest value.
-- Days that no longer have history lose their figure. complete: the day is over. Returns how
-- many figures were written or removed. The leader calls it every minute for today (and
-- yesterday in the first hour of the day); a backfill calls it for the days it filled.
CREATE FUNCTION commcell.daily_refresh(p_from date, p_to date, p_partner text DEFAULT NULL,
                                       p_metric text DEFAULT NULL, p_site text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := p_from::timestamp AT TIME ZONE 'Europe/London';
    t1 timestamptz := (p_to + 1)::timestamp AT TIME ZONE 'Europe/London';
    changed integer;
BEGIN
    IF p_from IS NULL OR p_to IS NULL OR p_to < p_from THEN
        RETURN 0;
    END IF;
    -- One pass over the rows, grouped by series and quarter hour (hashing a few thousand
    -- groups, not sorting the rows); days are formed from the quarter hours. London is a whole
    -- number of hours off UTC, so a UTC quarter hour lies within one local day.
    WITH q AS (
        SELECT h.partner, h.metric, h.site,
               date_bin('15 minutes', h.observed_at, TIMESTAMPTZ '2000-01-01 00:00+00') AS bucket,
               avg(h.value) AS mean, max(h.value) AS hi, min(h.value) AS lo, count(*) AS n
          FROM commcell.history h
         WHERE h.observed_at >= t0 AND h.observed_at < t1
           AND (p_partner IS NULL OR h.partner = p_partner)
           AND (p_metric IS NULL OR h.metric = p_metric)
           AND (p_site IS NULL OR h.site = p_site)
         GROUP BY 1, 2, 3, 4
    ), days AS (
        SELECT q.partner, q.metric, q.site, (q.bucket AT TIME ZONE 'Europe/London')::date AS day,
               avg(q.mean) AS mean, max(q.hi) AS hi, min(q.lo) AS lo, sum(q.n)::integer AS samples
          FROM q GROUP BY 1, 2, 3, 4
    ), figures AS (
        SELECT d.partner, d.metric, d.site, d.day, d.samples,
               CASE m.daily
                   WHEN 'mean' THEN d.mean WHEN 'max' THEN d.hi WHEN 'min' THEN d.lo
                   -- the day's last row, found through the series index
                   ELSE (SELECT h.value FROM commcell.history h
                          WHERE h.partner = d.partner AND h.metric = d.metric AND h.site = d.site
                            AND h.observed_at >= d.day::timestamp AT TIME ZONE 'Europe/London'
                            AND h.observed_at < (d.day + 1)::timestamp AT TIME ZONE 'Europe/London'
                          ORDER BY h.observed_at DESC LIMIT 1) END AS value
          FROM days d JOIN commcell.metric m ON m.partner = d.partner AND m.key = d.metric
    ), written AS (
        INSERT INTO commcell.daily AS d (partner, metric, site, day, value, samples, complete,
                                         computed_at)
        SELECT partner, metric, site, day, value, samples,
               (day + 1)::timestamp AT TIME ZONE 'Europe/London' <= now(), now()
          FROM figures
        ON CONFLICT (partner, metric, site, day) DO UPDATE
           SET value = EXCLUDED.value, samples = EXCLUDED.samples,
               complete = EXCLUDED.complete, computed_at = EXCLUDED.computed_at
        RETURNING 1
    ), removed AS (
        DELETE FROM commcell.daily d
         WHERE d.day BETWEEN p_from AND p_to
           AND (p_partner IS NULL OR d.partner = p_partner)
           AND (p_metric IS NULL OR d.metric = p_metric)
           AND (p_site IS NULL OR d.site = p_site)
           AND NOT EXISTS (SELECT 1 FROM figures f
                            WHERE f.partner = d.partner AND f.metric = d.metric
                              AND f.site = d.site AND f.day = d.day)
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM removed) INTO changed;
    RETURN changed;
END;
$$;

-- A figure judged as the live status judges a value, without hysteresis or minimum duration
-- (a day's figure has no previous status to hold): a site's row in commcell.threshold replaces
-- the metric's lines, a line missing is no line, and line_inclusive says whether a value on a
-- line has its status. NULL for no figure. The same words in /api/daily and the board report.
CREATE FUNCTION commcell.daily_status(p_partner text, p_metric text, p_site text,
                                      p_value double precision)
RETURNS text LANGUAGE sql STABLE AS $$
    WITH l AS (
        SELECT m.higher_is_better AS hib, m.line_inclusive AS incl,
               CASE WHEN t.site IS NULL THEN m.amber ELSE t.amber END AS amber,
               CASE WHEN t.site IS NULL THEN m.red ELSE t.red END AS red
          FROM commcell.metric m
          LEFT JOIN commcell.threshold t
                 ON t.partner = m.partner AND t.metric = m.key AND t.site = p_site
         WHERE m.partner = p_partner AND m.key = p_metric
    )
    SELECT CASE
        WHEN p_value IS NULL THEN NULL
        WHEN red IS NOT NULL AND CASE WHEN incl THEN (CASE WHEN hib THEN p_value <= red ELSE p_value >= red END)
                                      ELSE (CASE WHEN hib THEN p_value < red ELSE p_value > red END) END
            THEN 'red'
        WHEN amber IS NOT NULL AND CASE WHEN incl THEN (CASE WHEN hib THEN p_value <= amber ELSE p_value >= amber END)
                                        ELSE (CASE WHEN hib THEN p_value < amber ELSE p_value > amber END) END
            THEN 'amber'
        ELSE 'green' END
      FROM l
$$;

-- One series' days p_from..p_to (default: the 30 days before p_to, which defaults to today),
-- every day listed, with its figure when there is one (value null and samples 0 when not),
-- what the goal's trajectory expects that day (null without a goal) and the figure's status:
-- {"goal": GOAL|null, "days": [{"day","value","samples","complete","expected","status"}]}.
CREATE FUNCTION commcell.daily_json(p_partner text, p_metric text, p_site text, p_from date,
                                    p_to date)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    t date := coalesce(p_to, commcell.london_today());
    f date := coalesce(p_from, t - 30);
    g commcell.goal;
BEGIN
    IF t < f THEN
        RAISE EXCEPTION 'to (%) must not be before from (%)', t, f
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF t - f > 800 THEN
        RAISE EXCEPTION 'at most 800 days at a time (from % to % is % days)', f, t, t - f + 1
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO g FROM commcell.goal
     WHERE partner = p_partner AND metric = p_metric AND site = coalesce(p_site, '');
    RETURN jsonb_build_object(
        'goal', CASE WHEN g.id IS NULL THEN NULL ELSE commcell.goal_json(g) END,
        'days', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'day', to_char(s.day, 'YYYY-MM-DD'),
                     'value', x.value,
                     'samples', coalesce(x.samples, 0),
                     'complete', coalesce(x.complete,
                                          (s.day + 1)::timestamp AT TIME ZONE 'Europe/London' <= now()),
                     'expected', CASE WHEN g.id IS NULL THEN NULL
                                      ELSE commcell.goal_expected(g, s.day) END,
                     'status', commcell.daily_status(p_partner, p_metric, coalesce(p_site, ''),
                                                     x.value))
                   ORDER BY s.day), '[]'::jsonb)
                   FROM (SELECT d::date AS day FROM generate_series(f, t, interval '1 day') AS d) s
                   LEFT JOIN commcell.daily x
                          ON x.partner = p_partner AND x.metric = p_metric
                         AND x.site = coalesce(p_site, '') AND x.day = s.day));
END;
$$;

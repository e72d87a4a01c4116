-- The board report (issue 16): one JSON document with everything a monthly board review of the
-- comm cell reads, for the local days p_from to p_to (Europe/London). commcelld turns it into a
-- printable HTML page (daemon/report.c); the numbers are all decided here, so the report, the
-- huddle view and the wall agree on what a day's figure, status and trajectory were.
--
-- Per stage, in position order, every series with a daily figure in the period or a goal:
--   days         each day's figure (commcell.daily), its status by the series' thresholds
--                (commcell.daily_status, as /api/daily judges it) and the goal's expected value
--   counts       days at green, amber, red, and with no figure
--   attainment   days on or better than the trajectory out of the days with a figure; the last
--                figure against the target
-- alerts fired in the period (by severity, acknowledged or not, the median minutes from firing
-- to acknowledgement), the escalation level by day (the highest level held during the day,
-- counting the level in force when it began), and the actions opened, closed and overdue.

-- A day as the report counts it: from local midnight to the next local midnight, so a day of a
-- clock change is 23 or 25 hours long like the days people live.
CREATE FUNCTION commcell.local_day_start(d date) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT d::timestamp AT TIME ZONE 'Europe/London'
$$;

-- A figure at least as good as the trajectory expects, in the metric's good direction. A tiny
-- tolerance: an expected value interpolated to 78.00000000001 is met by a figure of 78.
CREATE FUNCTION commcell.report_on_track(v double precision, expected double precision,
                                         higher_is_better boolean)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL OR expected IS NULL THEN NULL
                WHEN higher_is_better THEN v >= expected - 1e-9 * greatest(1, abs(expected))
                ELSE v <= expected + 1e-9 * greatest(1, abs(expected)) END
$$;

CREATE FUNCTION commcell.board_report(p_from date, p_to date)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    t0 timestamptz;
    t1 timestamptz;
    v_stages jsonb;
    v_levels jsonb;
    v_alerts jsonb;
    v_actions jsonb;
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION 'a report needs a first and a last day' USING ERRCODE = '22023';
    END IF;
    IF p_from > p_to THEN
        RAISE EXCEPTION 'the first day (%) is after the last day (%)', p_from, p_to
            USING ERRCODE = '22023';
    END IF;
    IF p_to - p_from + 1 > 366 THEN
        RAISE EXCEPTION 'a report covers at most 366 days; % to % is % days',
            p_from, p_to, p_to - p_from + 1 USING ERRCODE = '22023';
    END IF;
    t0 := commcell.local_day_start(p_from);
    t1 := commcell.local_day_start(p_to + 1);

    WITH days AS (
        SELECT d::date AS day FROM generate_series(p_from, p_to, interval '1 day') AS d
    ), series AS (
        SELECT partner, metric, site FROM commcell.daily WHERE day BETWEEN p_from AND p_to
        UNION
        SELECT partner, metric, site FROM commcell.goal
    ), s AS (
        SELECT se.partner, se.metric, se.site, m.label, m.unit, m.decimals, m.higher_is_better,
               m.daily AS daily_rule, m.stage, m.position,
               CASE WHEN t.partner IS NOT NULL THEN t.amber ELSE m.amber END AS amber,
               CASE WHEN t.partner IS NOT NULL THEN t.red ELSE m.red END AS red,
               g AS goal
          FROM series se
          JOIN commcell.metric m ON m.partner = se.partner AND m.key = se.metric
          LEFT JOIN commcell.threshold t
                 ON t.partner = se.partner AND t.metric = se.metric AND t.site = se.site
          LEFT JOIN commcell.goal g
                 ON g.partner = se.partner AND g.metric = se.metric AND g.site = se.site
    ), sd AS (
        SELECT s.partner, s.metric, s.site, d.day, dl.value, dl.complete,
               CASE WHEN dl.value IS NOT NULL
                    THEN commcell.daily_status(s.partner, s.metric, s.site, dl.value) END AS status,
               CASE WHEN (s.goal).id IS NOT NULL
                    THEN commcell.goal_expected(s.goal, d.day) END AS expected,
               s.higher_is_better
          FROM s CROSS JOIN days d
          LEFT JOIN commcell.daily dl ON dl.partner = s.partner AND dl.metric = s.metric
                                     AND dl.site = s.site AND dl.day = d.day
    ), sdj AS (
        SELECT partner, metric, site,
               jsonb_agg(jsonb_build_object(
                   'day', to_char(day, 'YYYY-MM-DD'), 'value', value, 'complete', complete,
                   'status', status, 'expected', expected,
                   'on_track', commcell.report_on_track(value, expected, higher_is_better))
                   ORDER BY day) AS days,
               count(*) FILTER (WHERE status = 'green') AS n_green,
               count(*) FILTER (WHERE status = 'amber') AS n_amber,
               count(*) FILTER (WHERE status = 'red') AS n_red,
               count(*) FILTER (WHERE value IS NULL) AS n_none,
               count(*) FILTER (WHERE value IS NOT NULL) AS n_figure,
               count(*) FILTER (WHERE commcell.report_on_track(value, expected, higher_is_better))
                   AS n_on_track,
               (array_agg(day ORDER BY day DESC) FILTER (WHERE value IS NOT NULL))[1] AS last_day,
               (array_agg(value ORDER BY day DESC) FILTER (WHERE value IS NOT NULL))[1] AS last_value
          FROM sd GROUP BY partner, metric, site
    ), metric_json AS (
        SELECT s.stage, s.position, s.label, s.partner, s.metric, s.site,
               jsonb_build_object(
                   'partner', s.partner, 'metric', s.metric, 'site', s.site,
                   'unit', s.unit, 'decimals', s.decimals, 'higher_is_better', s.higher_is_better,
                   'daily', s.daily_rule, 'amber', s.amber, 'red', s.red,
                   'goal', CASE WHEN (s.goal).id IS NOT NULL THEN commcell.goal_json(s.goal) END,
                   'days', j.days,
                   'counts', jsonb_build_object('green', j.n_green, 'amber', j.n_amber,
                                                'red', j.n_red, 'none', j.n_none),
                   'attainment', CASE WHEN (s.goal).id IS NOT NULL THEN jsonb_build_object(
                       'on_track', j.n_on_track, 'with_figure', j.n_figure,
                       'last_day', to_char(j.last_day, 'YYYY-MM-DD'), 'last_value', j.last_value,
                       'target', (s.goal).target,
                       'gap_to_target', j.last_value - (s.goal).target,
                       'target_met', commcell.report_on_track(j.last_value, (s.goal).target,
                                                              s.higher_is_better)) END)
               || commcell.series_labels(s.partner, s.metric, s.site) AS obj
          FROM s JOIN sdj j USING (partner, metric, site)
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'key', st.key, 'label', st.label, 'position', st.position,
               'metrics', (SELECT jsonb_agg(mj.obj ORDER BY mj.position, mj.label, mj.metric,
                                                         mj.partner, mj.site)
                             FROM metric_json mj WHERE mj.stage = st.key))
               ORDER BY st.position), '[]'::jsonb)
      INTO v_stages
      FROM commcell.stage st
     WHERE EXISTS (SELECT 1 FROM metric_json mj WHERE mj.stage = st.key);

    -- The level each day: the one in force at local midnight and every one set during the day;
    -- the highest of them is what the system lived through that day. NULL: nothing recorded yet.
    SELECT jsonb_agg(jsonb_build_object('day', to_char(d.day, 'YYYY-MM-DD'),
                                        'level', lv.level, 'label', lv.label,
                                        'changes', (SELECT count(*) FROM commcell.level_history h
                                                     WHERE h.at >= commcell.local_day_start(d.day)
                                                       AND h.at < commcell.local_day_start(d.day + 1)))
                   ORDER BY d.day)
      INTO v_levels
      FROM (SELECT x::date AS day FROM generate_series(p_from, p_to, interval '1 day') AS x) d
      LEFT JOIN LATERAL (
          SELECT c.level, c.label
            FROM (SELECT h.level, h.label, h.at, h.id FROM commcell.level_history h
                   WHERE h.at >= commcell.local_day_start(d.day)
                     AND h.at < commcell.local_day_start(d.day + 1)
                  UNION ALL
                  (SELECT h.level, h.label, h.at, h.id FROM commcell.level_history h
                    WHERE h.at < commcell.local_day_start(d.day)
                    ORDER BY h.at DESC, h.id DESC LIMIT 1)) c
           ORDER BY c.level DESC, c.at DESC, c.id DESC
           LIMIT 1) lv ON true;

    -- Alerts that fired in the period. Time to acknowledge: from firing to the acknowledgement,
    -- whenever that came; an alert still not acknowledged is counted apart, not as a zero.
    SELECT jsonb_build_object(
               'fired', count(*),
               'critical', count(*) FILTER (WHERE a.severity = 'critical'),
               'warning', count(*) FILTER (WHERE a.severity = 'warning'),
               'acknowledged', count(a.acked_at),
               'unacknowledged', count(*) - count(a.acked_at),
               'median_ack_minutes', percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM a.acked_at - a.fired_at) / 60.0),
               'list', coalesce(jsonb_agg(jsonb_build_object(
                   'id', a.id, 'rule', r.name, 'severity', a.severity, 'state', a.state,
                   'summary', a.summary, 'fired_at', a.fired_at, 'acked_at', a.acked_at,
                   'acked_by', a.acked_by, 'resolved_at', a.resolved_at,
                   'ack_minutes', extract(epoch FROM a.acked_at - a.fired_at) / 60.0)
                   || commcell.series_labels(a.partner, a.metric, a.site)
                   ORDER BY a.fired_at, a.id), '[]'::jsonb))
      INTO v_alerts
      FROM commcell.alert a JOIN commcell.alert_rule r ON r.id = a.rule_id
     WHERE a.fired_at >= t0 AND a.fired_at < t1;

    -- Actions: opened and closed in the period, and overdue on its last day (still open at its
    -- end, due before that day), each with its owner; and the same counted per owner.
    WITH a AS (
        SELECT x AS row_, commcell.action_json(x) AS obj,
               x.created_at >= t0 AND x.created_at < t1 AS opened,
               x.closed_at >= t0 AND x.closed_at < t1 AS closed,
               x.created_at < t1 AND x.due_on < p_to
                   AND (x.closed_at IS NULL OR x.closed_at >= t1) AS overdue
          FROM commcell.action x
    ), owners AS (
        SELECT (row_).owner AS owner, min(obj ->> 'owner_name') AS owner_name,
               count(*) FILTER (WHERE opened) AS opened,
               count(*) FILTER (WHERE closed) AS closed,
               count(*) FILTER (WHERE overdue) AS overdue
          FROM a WHERE opened OR closed OR overdue GROUP BY (row_).owner
    )
    SELECT jsonb_build_object(
               'opened', coalesce((SELECT jsonb_agg(obj ORDER BY (row_).created_at, (row_).id)
                                     FROM a WHERE opened), '[]'::jsonb),
               'closed', coalesce((SELECT jsonb_agg(obj ORDER BY (row_).closed_at, (row_).id)
                                     FROM a WHERE closed), '[]'::jsonb),
               'overdue', coalesce((SELECT jsonb_agg(obj ORDER BY (row_).due_on, (row_).id)
                                      FROM a WHERE overdue), '[]'::jsonb),
               'owners', coalesce((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.owner_name, o.owner)
                                     FROM owners o), '[]'::jsonb))
      INTO v_actions;

    RETURN jsonb_build_object(
        'from', to_char(p_from, 'YYYY-MM-DD'), 'to', to_char(p_to, 'YYYY-MM-DD'),
        'days', p_to - p_from + 1,
        'generated_at', to_char(now() AT TIME ZONE 'Europe/London', 'YYYY-MM-DD HH24:MI'),
        'stages', v_stages, 'levels', coalesce(v_levels, '[]'::jsonb),
        'alerts', v_alerts, 'actions', v_actions);
END;
$$;

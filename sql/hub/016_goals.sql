-- The comm cell's meeting, part 1 (issue 16): goals the partners agreed for a measure, with the
-- trajectory from a baseline to a target, and the daily figures progress is judged on.

-- How a day's figure is formed from a metric's history (days are local days, Europe/London):
--   last  the value at the end of the day: "since midnight" measures (4-hour performance today);
--   mean  the average over the day: point-in-time positions (patients in the department);
--   max   the day's worst moment where higher is worse and the peak is what matters;
--   min   the same where lower is worse.
ALTER TABLE commcell.metric
    ADD COLUMN daily text NOT NULL DEFAULT 'mean' CHECK (daily IN ('last', 'mean', 'max', 'min'));

-- An agreed goal for one series (partner, metric, site): from baseline on starts_on to target on
-- ends_on, through the milestones in between. The trajectory is the straight line between
-- consecutive points. One goal per series: a revised goal is an edit, kept in the audit log.
CREATE TABLE commcell.goal (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner     text NOT NULL,
    metric      text NOT NULL,
    site        text NOT NULL DEFAULT '',
    baseline    double precision NOT NULL CHECK (baseline::text NOT IN ('NaN', 'Infinity', '-Infinity')),
    target      double precision NOT NULL CHECK (target::text NOT IN ('NaN', 'Infinity', '-Infinity')),
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    -- [{"on": "YYYY-MM-DD", "value": N}, ...], dates ascending and strictly between starts_on
    -- and ends_on (commcell.check_goal)
    milestones  jsonb NOT NULL DEFAULT '[]'::jsonb,
    agreed_by   text NOT NULL DEFAULT '' CHECK (length(agreed_by) <= 200),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (partner, metric, site),
    CHECK (ends_on > starts_on),
    FOREIGN KEY (partner, metric) REFERENCES commcell.metric (partner, key)
        ON UPDATE CASCADE ON DELETE CASCADE
);

-- Milestones in order and inside the goal's dates, for the API and for SQL edits alike.
CREATE FUNCTION commcell.check_goal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    m jsonb;
    prev date := NEW.starts_on;
    d date;
BEGIN
    IF jsonb_typeof(NEW.milestones) <> 'array' THEN
        RAISE EXCEPTION 'milestones must be a list of {"on": date, "value": number}'
            USING ERRCODE = 'check_violation';
    END IF;
    FOR m IN SELECT value FROM jsonb_array_elements(NEW.milestones) LOOP
        IF jsonb_typeof(m) <> 'object' OR jsonb_typeof(m -> 'value') <> 'number'
           OR jsonb_typeof(m -> 'on') <> 'string' THEN
            RAISE EXCEPTION 'a milestone needs "on" (a date) and "value" (a number)'
                USING ERRCODE = 'check_violation';
        END IF;
        d := (m ->> 'on')::date;
        IF d <= prev OR d >= NEW.ends_on THEN
            RAISE EXCEPTION 'milestone dates must be in order, after % and before %',
                NEW.starts_on, NEW.ends_on USING ERRCODE = 'check_violation';
        END IF;
        prev := d;
    END LOOP;
    RETURN NEW;
END;
$$;

CREATE TRIGGER goal_check BEFORE INSERT OR UPDATE ON commcell.goal
    FOR EACH ROW EXECUTE FUNCTION commcell.check_goal();

-- The value the trajectory expects on day d: baseline before it starts, target after it ends,
-- on the straight line between the points around d in between.
CREATE FUNCTION commcell.goal_expected(g commcell.goal, d date)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    WITH pts AS (
        SELECT g.starts_on AS on_, g.baseline AS v
        UNION ALL
        SELECT (m ->> 'on')::date, (m ->> 'value')::double precision
          FROM jsonb_array_elements(g.milestones) AS m
        UNION ALL
        SELECT g.ends_on, g.target
    ), seg AS (
        SELECT on_, v, lead(on_) OVER (ORDER BY on_) AS on2, lead(v) OVER (ORDER BY on_) AS v2
          FROM pts
    )
    SELECT CASE
        WHEN d <= g.starts_on THEN g.baseline
        WHEN d >= g.ends_on THEN g.target
        ELSE (SELECT v + (v2 - v) * (d - on_)::double precision / (on2 - on_)
                FROM seg WHERE on_ <= d AND on2 > d)
    END
$$;

-- One figure per series and local day, formed as the metric's `daily` says. complete is false
-- for a day not over yet (today's figure so far). samples: history rows the figure came from.
CREATE TABLE commcell.daily (
    partner     text NOT NULL,
    metric      text NOT NULL,
    site        text NOT NULL,
    day         date NOT NULL,
    value       double precision NOT NULL,
    samples     integer NOT NULL,
    complete    boolean NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner, metric, site, day)
);

-- A goal as the API, the displays and the report show it: the row with the labels and the
-- metric's unit, direction and decimals, so a reader can draw and judge it without the catalog.
CREATE FUNCTION commcell.goal_json(g commcell.goal)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', g.id, 'partner', g.partner, 'metric', g.metric, 'site', g.site,
        'baseline', g.baseline, 'target', g.target,
        'starts_on', to_char(g.starts_on, 'YYYY-MM-DD'), 'ends_on', to_char(g.ends_on, 'YYYY-MM-DD'),
        'milestones', g.milestones, 'agreed_by', g.agreed_by, 'note', g.note,
        'created_by', g.created_by, 'created_at', g.created_at,
        'updated_by', g.updated_by, 'updated_at', g.updated_at,
        'unit', m.unit, 'higher_is_better', m.higher_is_better, 'decimals', m.decimals,
        'stage', m.stage, 'daily', m.daily)
        || commcell.series_labels(g.partner, g.metric, g.site)
      FROM commcell.metric m
     WHERE m.partner = g.partner AND m.key = g.metric
$$;

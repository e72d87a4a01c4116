-- Thresholds with hysteresis and a minimum duration, per metric and per site (issue: alerts).
--
-- commcell.metric's amber and red are the metric's defaults for every site; a row here overrides
-- them for one site. Hysteresis: once a value has crossed a line, it must come back past the
-- line by this much before the better status shows again. Minimum duration: a worse status must
-- hold this long before it shows. Together they stop a value sitting on a line from flapping.

ALTER TABLE commcell.metric
    ADD COLUMN hysteresis     double precision NOT NULL DEFAULT 0 CHECK (hysteresis >= 0),
    ADD COLUMN min_duration_s integer NOT NULL DEFAULT 0 CHECK (min_duration_s BETWEEN 0 AND 86400),
    ADD COLUMN updated_by     text,
    ADD COLUMN updated_at     timestamptz;

CREATE TABLE commcell.threshold (
    partner        text NOT NULL,
    metric         text NOT NULL,
    site           text NOT NULL,
    amber          double precision,
    red            double precision,
    hysteresis     double precision NOT NULL DEFAULT 0 CHECK (hysteresis >= 0),
    min_duration_s integer NOT NULL DEFAULT 0 CHECK (min_duration_s BETWEEN 0 AND 86400),
    updated_by     text,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner, metric, site),
    FOREIGN KEY (partner, metric) REFERENCES commcell.metric (partner, key)
        ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE TRIGGER threshold_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.threshold
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();

-- Every change of configuration and every acknowledgement, with who and when (design.md 9).
CREATE TABLE commcell.audit (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,           -- user name, 'system', or 'sql' for direct edits
    action   text NOT NULL,           -- e.g. 'threshold.update', 'alert.ack', 'user.create'
    target   text NOT NULL DEFAULT '',
    detail   jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_at ON commcell.audit (at);

-- Red must lie beyond amber in the metric's bad direction, for defaults and overrides alike;
-- refusing a contradictory pair here protects SQL edits as well as the API.
CREATE OR REPLACE FUNCTION commcell.check_threshold() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    hib boolean;
BEGIN
    IF TG_TABLE_NAME = 'metric' THEN
        hib := NEW.higher_is_better;
    ELSE
        SELECT higher_is_better INTO hib FROM commcell.metric
         WHERE partner = NEW.partner AND key = NEW.metric;
    END IF;
    IF NEW.amber IS NOT NULL AND NEW.red IS NOT NULL AND
       ((hib AND NEW.red > NEW.amber) OR (NOT hib AND NEW.red < NEW.amber)) THEN
        RAISE EXCEPTION 'red (%) must be % amber (%) for a metric where % is better',
            NEW.red, CASE WHEN hib THEN 'at or below' ELSE 'at or above' END, NEW.amber,
            CASE WHEN hib THEN 'higher' ELSE 'lower' END
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER threshold_check BEFORE INSERT OR UPDATE ON commcell.threshold
    FOR EACH ROW EXECUTE FUNCTION commcell.check_threshold();

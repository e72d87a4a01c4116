-- The reference observation feed (design.md section 3), created in each partner database.
-- Partners append measured values; commcell reads rows with id above its watermark.

CREATE SCHEMA IF NOT EXISTS commcell;

CREATE TABLE IF NOT EXISTS commcell.observation (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    metric      text NOT NULL,
    site        text NOT NULL DEFAULT '',
    value       double precision,
    observed_at timestamptz NOT NULL DEFAULT now()
);

-- The initial load asks for the latest row per (metric, site).
CREATE INDEX IF NOT EXISTS observation_metric_site_id
    ON commcell.observation (metric, site, id DESC);

-- One NOTIFY per statement is enough: commcell reads everything above its watermark.
CREATE OR REPLACE FUNCTION commcell.notify_observation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commcell_observation', '');
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS observation_notify ON commcell.observation;
CREATE TRIGGER observation_notify
    AFTER INSERT ON commcell.observation
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_observation();

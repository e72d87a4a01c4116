-- Configuration changed by SQL or by the manager view takes effect live: every change to the
-- configuration tables tells commcelld to reload them.

CREATE OR REPLACE FUNCTION commcell.notify_config() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commcell_config', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER stage_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.stage
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();
CREATE TRIGGER partner_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.partner
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();
CREATE TRIGGER feed_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.feed
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();
CREATE TRIGGER metric_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.metric
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();

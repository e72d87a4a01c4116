-- Each metric's definition in words (issue 15): what is counted, over which window, and which
-- published definition or standard it follows. A manager choosing a tile reads it beside the
-- history chart (GET /api/thresholds carries it), so that "46.6 %" is never a number without a
-- meaning. Plain text for people, not a specification: docs/metrics.md keeps the long form.
--
-- NULL until someone writes one; the manager view then says that the metric has no definition
-- yet rather than showing nothing. The length bound keeps it to a paragraph a person reads.

ALTER TABLE commcell.metric
    ADD COLUMN definition text
        CONSTRAINT metric_definition_length CHECK (char_length(definition) <= 2000);

COMMENT ON COLUMN commcell.metric.definition IS
    'what the metric counts, its window and the standard it follows, in words for people; '
    'shown in the manager view when the metric is chosen';

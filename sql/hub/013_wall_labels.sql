-- Short labels for the wall display (issue 15). A tile on a wall seen from across the room has
-- room for a few words, and four tiles all reading "A&E 4-hour performance, ..." cannot be told
-- apart there: the short label carries the words that tell tiles apart ("4h type 1"). NULL
-- means the label is used; the daemon sends both, so the manager view keeps the full label.

ALTER TABLE commcell.metric
    ADD COLUMN short_label text CHECK (short_label IS NULL OR length(short_label) BETWEEN 1 AND 40);

ALTER TABLE commcell.partner
    ADD COLUMN short_label text CHECK (short_label IS NULL OR length(short_label) BETWEEN 1 AND 40);

COMMENT ON COLUMN commcell.metric.short_label IS
    'the label on a wall display tile, a few words that tell tiles apart; NULL: the label';
COMMENT ON COLUMN commcell.partner.short_label IS
    'the partner''s name on a wall display; NULL: the label';

-- Whether a value exactly on a metric's amber or red line has that status (issue 13).
--
-- Standards word their lines both ways: "fewer than 5% of calls abandoned" makes 5.0% a failure,
-- while "95% within 4 hours" or "a mean of 7 minutes" is met by a value on the line. false (the
-- default, and what commcell did before): only a value strictly past the line has the status;
-- true: a value on the line has it too. The flag belongs to the metric, so a site's override in
-- commcell.threshold moves the lines but keeps their wording.

ALTER TABLE commcell.metric
    ADD COLUMN line_inclusive boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN commcell.metric.line_inclusive IS
    'true: a value exactly on the amber or red line has that status ("fewer than 5%"); '
    'false: only a value strictly past it ("at least 95%")';

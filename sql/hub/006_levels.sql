-- The system escalation level (OPEL 1-4 style), derived from metric statuses by rules kept here.
-- A rule matches when at least `count` metrics in its scope are at `status` or worse
-- ('amber' counts amber and red; 'red' counts red). The level is the highest level of any
-- matching rule, 1 when none matches. Every change of level is kept in level_history.

CREATE TABLE commcell.level_rule (
    id          serial PRIMARY KEY,
    level       integer NOT NULL CHECK (level BETWEEN 2 AND 4),
    status      text NOT NULL CHECK (status IN ('amber', 'red')),
    count       integer NOT NULL CHECK (count >= 1),
    stage       text REFERENCES commcell.stage (key),       -- NULL: every stage
    partner     text REFERENCES commcell.partner (name) ON DELETE CASCADE,  -- NULL: every partner
    description text NOT NULL DEFAULT ''
);

CREATE TRIGGER level_rule_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.level_rule
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_config();

-- Sensible defaults for a system of a few dozen metrics; edit to local escalation triggers.
INSERT INTO commcell.level_rule (level, status, count, description) VALUES
    (2, 'amber', 3, 'three or more measures at amber or worse'),
    (3, 'red',   2, 'two or more measures at red'),
    (4, 'red',   5, 'five or more measures at red');
INSERT INTO commcell.level_rule (level, status, count, stage, description) VALUES
    (4, 'red',   2, 'ed', 'two or more emergency department measures at red');

CREATE TABLE commcell.level_history (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    level    integer NOT NULL,
    label    text NOT NULL,
    reason   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX level_history_at ON commcell.level_history (at);

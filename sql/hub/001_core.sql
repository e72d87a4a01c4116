-- Hub schema, part 1: partners, feeds and metric definitions.
-- commcelld reads these at start; they are the source of truth for what the board shows.

CREATE SCHEMA IF NOT EXISTS commcell;

-- Pathway stages, ordered left to right as the wall display draws them.
CREATE TABLE commcell.stage (
    key      text PRIMARY KEY CHECK (key ~ '^[a-z0-9_]+$'),
    label    text NOT NULL,
    position int  NOT NULL UNIQUE
);

INSERT INTO commcell.stage (key, label, position) VALUES
    ('111',           '111 / OOH',                  1),
    ('ambulance',     'Ambulance',                  2),
    ('ed',            'Emergency department',       3),
    ('admission',     'Admission',                  4),
    ('beds',          'Beds and flow',              5),
    ('discharge',     'Discharge',                  6),
    ('community',     'Community and social care',  7),
    ('mental_health', 'Mental health',              8);

-- A partner organisation. The name matches its database (partner_<name>) in the demo.
-- conninfo is a libpq connection string for a least-privilege, read-only login.
CREATE TABLE commcell.partner (
    name     text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_]{0,39}$'),
    label    text NOT NULL,
    conninfo text NOT NULL,
    enabled  boolean NOT NULL DEFAULT true
);

-- A feed: where in a partner database commcell reads values from.
-- kind 'observation': an append-only table or view with the columns of
-- sql/partner/001_observation.sql, read by watermark (id > last seen).
CREATE TABLE commcell.feed (
    id                   serial PRIMARY KEY,
    partner              text NOT NULL REFERENCES commcell.partner (name) ON UPDATE CASCADE ON DELETE CASCADE,
    kind                 text NOT NULL DEFAULT 'observation' CHECK (kind IN ('observation')),
    relation             text NOT NULL DEFAULT 'commcell.observation'
                              CHECK (relation ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$'),
    channel              text NOT NULL DEFAULT 'commcell_observation'
                              CHECK (channel ~ '^[a-z_][a-z0-9_]*$'),
    poll_interval_ms     int  NOT NULL DEFAULT 5000  CHECK (poll_interval_ms BETWEEN 100 AND 3600000),
    statement_timeout_ms int  NOT NULL DEFAULT 5000  CHECK (statement_timeout_ms BETWEEN 100 AND 600000),
    batch_limit          int  NOT NULL DEFAULT 1000  CHECK (batch_limit BETWEEN 1 AND 100000),
    enabled              boolean NOT NULL DEFAULT true
);

-- A metric definition. (partner, key) is unique: two acute trusts may both publish
-- ed.four_hour_performance. Thresholds are optional; with none the value is judged green.
CREATE TABLE commcell.metric (
    partner          text NOT NULL REFERENCES commcell.partner (name) ON UPDATE CASCADE ON DELETE CASCADE,
    key              text NOT NULL CHECK (key ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$'),
    label            text NOT NULL,
    unit             text NOT NULL DEFAULT '',
    stage            text NOT NULL REFERENCES commcell.stage (key),
    higher_is_better boolean NOT NULL,
    amber            double precision,
    red              double precision,
    freshness_s      int  NOT NULL DEFAULT 900 CHECK (freshness_s > 0),
    decimals         int  NOT NULL DEFAULT 0 CHECK (decimals BETWEEN 0 AND 6),
    position         int  NOT NULL DEFAULT 0,
    PRIMARY KEY (partner, key),
    -- red must be beyond amber in the bad direction
    CHECK (amber IS NULL OR red IS NULL
           OR (higher_is_better AND red <= amber)
           OR (NOT higher_is_better AND red >= amber))
);

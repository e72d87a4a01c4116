-- Who may see and change what (design.md section 9): users with a role and a slow password hash,
-- device tokens for wall displays, sessions, and the sign-in attempts that rate-limiting counts.
--
-- Secrets are never stored as given: a password is kept as a libsodium crypto_pwhash_str string
-- (Argon2id, salted, with its cost parameters), a session or device token as the hex SHA-256 of
-- the random value handed out. A token has 256 random bits, so a fast hash is enough to make a
-- stolen table useless while letting commcelld look tokens up by hash without any slow work.
--
-- Several commcelld instances share these tables. Each keeps the live sessions and device tokens
-- in memory, so identifying a request or a WebSocket upgrade never waits for the database, and
-- reloads them when the triggers below NOTIFY commcell_auth.

CREATE TABLE commcell.app_user (
    name                text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    role                text NOT NULL CHECK (role IN ('display', 'manager', 'admin')),
    password_hash       text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          text,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    disabled_at         timestamptz,            -- not NULL: may not sign in; sessions end
    disabled_by         text
);

-- A wall display's credential. Handed out once by an admin, revocable; always role display.
CREATE TABLE commcell.device_token (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    role        text NOT NULL DEFAULT 'display' CHECK (role = 'display'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    revoked_at  timestamptz,
    revoked_by  text
);

-- A signed-in browser: the cookie holds the random token, this row its hash. A session belongs
-- to a user or to a device token; it ends when it expires, is signed out, or its user is
-- disabled or its token revoked (those are checked when sessions are loaded).
CREATE TABLE commcell.session (
    token_hash      text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_name       text REFERENCES commcell.app_user (name) ON UPDATE CASCADE ON DELETE CASCADE,
    device_token_id integer REFERENCES commcell.device_token (id) ON DELETE CASCADE,
    csrf_token      text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    address         text NOT NULL DEFAULT '',
    user_agent      text NOT NULL DEFAULT '',
    CHECK ((user_name IS NULL) <> (device_token_id IS NULL))
);
CREATE INDEX session_by_expiry ON commcell.session (expires_at);
CREATE INDEX session_by_user ON commcell.session (user_name);

-- Every sign-in attempt, for rate limiting across instances. ok is NULL while the password is
-- being checked: such rows count as failures, so parallel guesses cannot slip past the limit.
CREATE TABLE commcell.signin_attempt (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    user_name text NOT NULL DEFAULT '',        -- '' for a device-token attempt
    address   text NOT NULL,
    ok        boolean
);
CREATE INDEX signin_attempt_user ON commcell.signin_attempt (user_name, at);
CREATE INDEX signin_attempt_address ON commcell.signin_attempt (address, at);

-- Tell every commcelld to reload its session cache. last_seen_at updates are left out on
-- purpose: they happen all the time and change nobody's rights.
CREATE OR REPLACE FUNCTION commcell.notify_auth() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('commcell_auth', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER app_user_auth_notify AFTER INSERT OR DELETE OR TRUNCATE ON commcell.app_user
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_auth();
CREATE TRIGGER app_user_auth_notify_update AFTER UPDATE OF role, disabled_at, name ON commcell.app_user
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_auth();
CREATE TRIGGER device_token_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON commcell.device_token
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_auth();
CREATE TRIGGER session_auth_notify AFTER INSERT OR DELETE OR TRUNCATE ON commcell.session
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_auth();
CREATE TRIGGER session_auth_notify_update AFTER UPDATE OF expires_at, user_name, device_token_id ON commcell.session
    FOR EACH STATEMENT EXECUTE FUNCTION commcell.notify_auth();

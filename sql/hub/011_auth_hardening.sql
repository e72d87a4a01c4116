-- Sign-in throttling by delay instead of lockout (issue 12). Counting failures per user name let
-- anyone lock a named account such as admin out by guessing wrong five times, and counting per
-- TCP peer put everyone behind one proxy in the same bucket. Now failures are counted per (user,
-- address) pair and per address, and each count past its free allowance makes the next attempt
-- wait twice as long as the one before, up to a ceiling: the right password from another address
-- is never held up by someone else's guesses.
--
-- The check and the recording of the attempt happen under a per-address advisory lock, inside
-- one function call: every commcelld instance sees the same counts, and parallel guesses from
-- one address are taken one at a time, so none can slip in between another's count and insert.

CREATE OR REPLACE FUNCTION commcell.signin_begin(
    p_user text,             -- '' for a device-token attempt
    p_address text,
    p_pair_free int,         -- failures of the pair allowed before any delay
    p_address_free int,      -- failures from the address (any user) allowed before any delay
    p_max_delay_s int,
    p_pair_memory_s int,     -- how long a pair's failures count (a success there clears them)
    p_address_window_s int)  -- how long an address's failures count
RETURNS TABLE (attempt bigint, wait_s int, scope text, pair_failures int, address_failures int)
LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz;
    pn int;
    pl timestamptz;
    an int;
    al timestamptz;
    pw float8 := 0;
    aw float8 := 0;
BEGIN
    -- Held to the end of the caller's transaction (one statement): each statement below takes a
    -- fresh snapshot, so it sees every attempt committed by the previous holder.
    PERFORM pg_advisory_xact_lock(hashtext('commcell.signin'), hashtext(p_address));

    SELECT coalesce(max(a.at), '-infinity') INTO since FROM commcell.signin_attempt a
     WHERE a.user_name = p_user AND a.address = p_address AND a.ok;
    SELECT count(*), max(a.at) INTO pn, pl FROM commcell.signin_attempt a
     WHERE a.user_name = p_user AND a.address = p_address AND a.ok IS NOT TRUE
       AND a.at > greatest(since, now() - make_interval(secs => p_pair_memory_s));
    SELECT count(*), max(a.at) INTO an, al FROM commcell.signin_attempt a
     WHERE a.address = p_address AND a.ok IS NOT TRUE
       AND a.at > now() - make_interval(secs => p_address_window_s);

    -- the k-th failure past the allowance (k = 1, 2, ...) makes the next attempt wait 2^(k-1) s
    IF pn >= p_pair_free THEN
        pw := extract(epoch FROM pl - now())
              + least(power(2, least(pn - p_pair_free, 30)), p_max_delay_s);
    END IF;
    IF an >= p_address_free THEN
        aw := extract(epoch FROM al - now())
              + least(power(2, least(an - p_address_free, 30)), p_max_delay_s);
    END IF;

    IF greatest(pw, aw) > 0 THEN
        RETURN QUERY SELECT NULL::bigint, greatest(ceil(greatest(pw, aw)), 1)::int,
            CASE WHEN pw >= aw THEN 'pair' ELSE 'address' END, pn, an;
        RETURN;
    END IF;
    -- ok stays NULL while the password is checked: such a row counts as a failure meanwhile
    RETURN QUERY WITH a AS (INSERT INTO commcell.signin_attempt (user_name, address)
                            VALUES (p_user, p_address) RETURNING id)
        SELECT a.id, 0, ''::text, pn, an FROM a;
END;
$$;

CREATE INDEX IF NOT EXISTS signin_attempt_pair ON commcell.signin_attempt (user_name, address, at);

-- A new password or a disabled account ends every session of that user, whoever changed it and
-- how (the API or psql): a trigger, so no path can forget. The session table's own trigger then
-- tells every commcelld to reload, which closes the open WebSockets of those sessions. Deleting
-- the rows, not just hiding them while disabled, keeps re-enabling from bringing them back.
CREATE OR REPLACE FUNCTION commcell.end_user_sessions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM commcell.session WHERE user_name = NEW.name;
    RETURN NULL;
END;
$$;

CREATE TRIGGER app_user_end_sessions AFTER UPDATE OF password_hash, disabled_at ON commcell.app_user
    FOR EACH ROW
    WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash
          OR (NEW.disabled_at IS NOT NULL AND OLD.disabled_at IS NULL))
    EXECUTE FUNCTION commcell.end_user_sessions();

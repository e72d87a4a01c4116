-- commcell reads each partner through a least-privilege login that can only SELECT the feed.
-- The role commcell_reader is created cluster-wide by whoever provisions the partner.
GRANT USAGE ON SCHEMA commcell TO commcell_reader;
GRANT SELECT ON commcell.observation TO commcell_reader;

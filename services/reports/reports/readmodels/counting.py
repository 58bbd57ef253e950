"""The counting SQL the reports' migrations install, each function a named, versioned constant.

A migration installs the versions it names; a change to a function is a new version here and a
migration that installs it, never an edit of a version a migration has installed. Reading this
module gives the whole definition of the counters, and every migration keeps installing, on any
database, what it installed when it was written.
"""

from __future__ import annotations


def or_replace(sql: str) -> str:
    """A version installed over a later one (a downgrade)."""
    return sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)

# --- migration 0006: child counters ---

CHILD_KEYS_V1 = """
CREATE FUNCTION rm_child_keys(sex text, birth_year smallint, classification text, status text,
                              mapping_categories text[]) RETURNS TABLE (dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'all', '' UNION ALL SELECT 'sex', sex UNION ALL SELECT 'birth_year', birth_year::text
    UNION ALL SELECT 'classification', classification UNION ALL SELECT 'status', status
    UNION ALL SELECT 'mapping', m FROM unnest(mapping_categories) AS m
$$"""

CHILD_MONTH_V1 = """
CREATE FUNCTION rm_child_month(registered timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT date_trunc('month', registered AT TIME ZONE 'UTC')::date $$"""

CHILDREN_COUNTED_V1 = """
CREATE FUNCTION rm_children_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row rm_children;
    new_row rm_children;
    count_old boolean := false;
    count_new boolean := false;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := OLD; count_old := OLD.merged_into IS NULL; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := NEW; count_new := NEW.merged_into IS NULL; END IF;
    INSERT INTO rm_child_counts AS c (village_code, month, dimension, value, n)
    SELECT village_code, month, dimension, value, sum(d) FROM (
        SELECT old_row.village_code AS village_code, rm_child_month(old_row.registered_at) AS month,
               k.dimension, k.value, -1 AS d
        FROM rm_child_keys(old_row.sex, old_row.birth_year, old_row.classification,
                           old_row.status, old_row.mapping_categories) k WHERE count_old
        UNION ALL
        SELECT new_row.village_code, rm_child_month(new_row.registered_at), k.dimension, k.value, 1
        FROM rm_child_keys(new_row.sex, new_row.birth_year, new_row.classification,
                           new_row.status, new_row.mapping_categories) k WHERE count_new
    ) deltas
    GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village_code, month, dimension, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$"""

CHILD_COUNTS_REFILL_V1 = """
CREATE FUNCTION rm_child_counts_refill() RETURNS void LANGUAGE sql AS $$
    DELETE FROM rm_child_counts;
    INSERT INTO rm_child_counts (village_code, month, dimension, value, n)
    SELECT c.village_code, rm_child_month(c.registered_at), k.dimension, k.value, count(*)
    FROM rm_children c
    CROSS JOIN LATERAL rm_child_keys(c.sex, c.birth_year, c.classification, c.status,
                                     c.mapping_categories) k
    WHERE c.merged_into IS NULL
    GROUP BY 1, 2, 3, 4
$$"""

# --- migration 0007: referral counters ---

# The earliest offer's provider and desa win (the lowest organisation id among offers made at once),
# and served stays served: the same row in any order.
_EARLIEST_OFFER_WINS = """ON CONFLICT ({key}) DO UPDATE SET
    organization_id = CASE WHEN (EXCLUDED.first_offered_at, EXCLUDED.organization_id)
                                < (n.first_offered_at, n.organization_id)
                           THEN EXCLUDED.organization_id ELSE n.organization_id END,
    village_code = CASE WHEN (EXCLUDED.first_offered_at, EXCLUDED.organization_id)
                             < (n.first_offered_at, n.organization_id)
                        THEN EXCLUDED.village_code ELSE n.village_code END,
    first_offered_at = LEAST(n.first_offered_at, EXCLUDED.first_offered_at),
    served = n.served OR EXCLUDED.served
WHERE (EXCLUDED.first_offered_at, EXCLUDED.organization_id) < (n.first_offered_at, n.organization_id)
   OR (EXCLUDED.served AND NOT n.served)"""

_NEED_UPSERT = """
INSERT INTO {table} AS n (need_id, organization_id, village_code, category, first_offered_at, served)
VALUES (NEW.need_id, NEW.organization_id, NEW.village_code, NEW.category, NEW.offered_at, is_served)
""" + _EARLIEST_OFFER_WINS

HOURS_BUCKET_V1 = """
CREATE FUNCTION rm_hours_bucket(took interval) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN h < 9.95 THEN round(h, 1) WHEN h < 99.5 THEN round(h, 0)
                 WHEN h < 995 THEN round(h, -1) WHEN h < 9950 THEN round(h, -2)
                 WHEN h < 99500 THEN round(h, -3) ELSE round(h, -4) END)::text
    FROM (SELECT EXTRACT(EPOCH FROM took) / 3600 AS h) hours
$$"""

HOURS_COARSE_V1 = """
CREATE FUNCTION rm_hours_coarse(bucket text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN v < 1 THEN 0 ELSE trunc(v / 10 ^ floor(log(v))) * 10 ^ floor(log(v)) END)::int::text
    FROM (SELECT bucket::numeric AS v) fine
$$"""

REFERRAL_KEYS_V1 = """
CREATE FUNCTION rm_referral_keys(status text, offered_at timestamptz, accepted_at timestamptz,
                                 ended_at timestamptz) RETURNS TABLE (dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'offered', '' WHERE offered_at IS NOT NULL
    UNION ALL SELECT 'status', status WHERE offered_at IS NOT NULL
    UNION ALL SELECT 'accepted', '' WHERE offered_at IS NOT NULL AND accepted_at IS NOT NULL
    UNION ALL SELECT 'hours_to_accept', rm_hours_bucket(accepted_at - offered_at)
        WHERE offered_at IS NOT NULL AND accepted_at IS NOT NULL
    UNION ALL SELECT 'hours_to_complete', rm_hours_bucket(ended_at - offered_at)
        WHERE offered_at IS NOT NULL AND status = 'completed' AND ended_at IS NOT NULL
$$"""

REFERRAL_FACTS_V1 = """
CREATE FUNCTION rm_referral_facts(kind text, r jsonb)
RETURNS TABLE (at timestamptz, breakdown text, key text, dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT f.at, g.breakdown, g.key, k.dimension, k.value
    FROM (SELECT (CASE WHEN kind = 'referral' THEN r ->> 'offered_at'
                       ELSE r ->> 'first_offered_at' END)::timestamptz AS at) f
    CROSS JOIN LATERAL (VALUES ('category', r ->> 'category'),
                               ('provider', r ->> 'organization_id')) g (breakdown, key)
    CROSS JOIN LATERAL (
        SELECT * FROM rm_referral_keys(r ->> 'status', (r ->> 'offered_at')::timestamptz,
                                       (r ->> 'accepted_at')::timestamptz, (r ->> 'ended_at')::timestamptz)
        WHERE kind = 'referral'
        UNION ALL SELECT 'needs', '' WHERE kind <> 'referral'
        UNION ALL SELECT 'needs_served', '' WHERE kind <> 'referral' AND (r ->> 'served')::boolean
    ) k
    WHERE r IS NOT NULL AND f.at IS NOT NULL
      AND (kind = 'referral' OR g.breakdown = CASE WHEN kind = 'needs' THEN 'category' ELSE 'provider' END)
$$"""

REFERRALS_COUNTED_V1 = """
CREATE FUNCTION rm_referrals_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb;
    new_row jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    WITH facts AS (
        SELECT left(changed.r ->> 'village_code', 5) AS regency_code, s.span, s.starts, f.breakdown, f.key,
               f.dimension, f.value, sum(changed.d) AS n
        FROM (SELECT old_row AS r, -1 AS d UNION ALL SELECT new_row, 1) changed
        CROSS JOIN LATERAL rm_referral_facts(TG_ARGV[0], changed.r) f
        CROSS JOIN LATERAL (VALUES ('day', (f.at AT TIME ZONE 'UTC')::date),
                                   ('month', rm_child_month(f.at))) s (span, starts)
        GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(changed.d) <> 0
    ), fine AS (
        INSERT INTO rm_referral_hours AS h (regency_code, breakdown, key, dimension, coarse, span, starts,
                                            value, n)
        SELECT regency_code, breakdown, key, dimension, rm_hours_coarse(value), span, starts, value, n
        FROM facts WHERE dimension LIKE 'hours%' ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (regency_code, breakdown, key, dimension, coarse, span, starts, value)
        DO UPDATE SET n = h.n + EXCLUDED.n
    )
    INSERT INTO rm_referral_counts AS c (regency_code, span, starts, breakdown, key, dimension, value, n)
    SELECT regency_code, span, starts, breakdown, key, dimension,
           CASE WHEN dimension LIKE 'hours%' THEN rm_hours_coarse(value) ELSE value END, sum(n)
    FROM facts GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (regency_code, span, starts, breakdown, key, dimension, value)
    DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$"""

NEEDS_MERGED_V1 = f"""
CREATE FUNCTION rm_needs_merged() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    is_served boolean := NEW.status = 'completed' AND NEW.outcome IS NOT DISTINCT FROM 'service_delivered';
BEGIN
    IF NEW.need_id IS NULL OR NEW.offered_at IS NULL THEN RETURN NULL; END IF;
    {_NEED_UPSERT.format(table="rm_needs", key="need_id")};
    {_NEED_UPSERT.format(table="rm_need_providers", key="need_id, organization_id")};
    RETURN NULL;
END $$"""

REFERRAL_COUNTS_REFILL_V1 = """
CREATE FUNCTION rm_referral_counts_refill() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    ALTER TABLE rm_needs DISABLE TRIGGER USER;
    ALTER TABLE rm_need_providers DISABLE TRIGGER USER;
    DELETE FROM rm_referral_counts;
    DELETE FROM rm_referral_hours;
    DELETE FROM rm_need_providers;
    DELETE FROM rm_needs;
    INSERT INTO rm_need_providers (need_id, organization_id, village_code, category, first_offered_at, served)
    SELECT DISTINCT ON (need_id, organization_id) need_id, organization_id, village_code, category,
           offered_at, bool_or(status = 'completed' AND outcome IS NOT DISTINCT FROM 'service_delivered')
               OVER (PARTITION BY need_id, organization_id)
    FROM rm_referrals WHERE need_id IS NOT NULL AND offered_at IS NOT NULL
    ORDER BY need_id, organization_id, offered_at;
    INSERT INTO rm_needs (need_id, organization_id, village_code, category, first_offered_at, served)
    SELECT DISTINCT ON (need_id) need_id, organization_id, village_code, category, first_offered_at,
           bool_or(served) OVER (PARTITION BY need_id)
    FROM rm_need_providers ORDER BY need_id, first_offered_at, organization_id;
    -- the fine hours and the counts by day from the rows, then the months from the days
    CREATE TEMPORARY TABLE referral_facts ON COMMIT DROP AS
    SELECT left(x.village_code, 5) AS regency_code, 'day' AS span, (f.at AT TIME ZONE 'UTC')::date AS starts,
           f.breakdown, f.key, f.dimension, f.value, count(*)::integer AS n
    FROM (SELECT r.village_code, 'referral' AS kind, to_jsonb(r) AS r FROM rm_referrals r
          UNION ALL SELECT n.village_code, 'needs', to_jsonb(n) FROM rm_needs n
          UNION ALL SELECT n.village_code, 'provider_needs', to_jsonb(n) FROM rm_need_providers n) x
    CROSS JOIN LATERAL rm_referral_facts(x.kind, x.r) f
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    INSERT INTO rm_referral_hours (regency_code, breakdown, key, dimension, coarse, span, starts, value, n)
    SELECT regency_code, breakdown, key, dimension, rm_hours_coarse(value), span, starts, value, n
    FROM referral_facts WHERE dimension LIKE 'hours%';
    INSERT INTO rm_referral_counts (regency_code, span, starts, breakdown, key, dimension, value, n)
    SELECT regency_code, span, starts, breakdown, key, dimension,
           CASE WHEN dimension LIKE 'hours%' THEN rm_hours_coarse(value) ELSE value END, sum(n)
    FROM referral_facts GROUP BY 1, 2, 3, 4, 5, 6, 7;
    DROP TABLE referral_facts;
    INSERT INTO rm_referral_hours (regency_code, breakdown, key, dimension, coarse, span, starts, value, n)
    SELECT regency_code, breakdown, key, dimension, coarse, 'month', date_trunc('month', starts)::date, value,
           sum(n)
    FROM rm_referral_hours WHERE span = 'day' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    INSERT INTO rm_referral_counts (regency_code, span, starts, breakdown, key, dimension, value, n)
    SELECT regency_code, 'month', date_trunc('month', starts)::date, breakdown, key, dimension, value, sum(n)
    FROM rm_referral_counts WHERE span = 'day'
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    ALTER TABLE rm_needs ENABLE TRIGGER USER;
    ALTER TABLE rm_need_providers ENABLE TRIGGER USER;
END $$"""

# --- migration 0008: child counters per statement ---

CHILDREN_INSERTED_V1 = """
CREATE FUNCTION rm_children_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rm_child_counts AS c (village_code, month, dimension, value, n)
    SELECT i.village_code, rm_child_month(i.registered_at), k.dimension, k.value, count(*)
    FROM inserted i
    CROSS JOIN LATERAL rm_child_keys(i.sex, i.birth_year, i.classification, i.status,
                                     i.mapping_categories) k
    WHERE i.merged_into IS NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village_code, month, dimension, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$"""

# --- migration 0009: referral counters per statement ---

# The rows of one need (or of one need at one provider) merged first, as the row trigger merged
# them one by one: the earliest offer's provider and desa (lowest organisation id among offers
# made at once), served when any is.
_NEEDS_MERGED = """
INSERT INTO {table} AS n (need_id, organization_id, village_code, category, first_offered_at, served)
SELECT DISTINCT ON ({key}) need_id, organization_id, village_code, category, offered_at,
       bool_or(status = 'completed' AND outcome IS NOT DISTINCT FROM 'service_delivered')
           OVER (PARTITION BY {key})
FROM inserted WHERE need_id IS NOT NULL AND offered_at IS NOT NULL
ORDER BY {key}, offered_at, organization_id
""" + _EARLIEST_OFFER_WINS

REFERRAL_ROWS_COUNTED_V1 = """
CREATE FUNCTION rm_referral_rows_counted(kind text, rows jsonb) RETURNS void LANGUAGE sql AS $$
    WITH facts AS (
        SELECT left(r ->> 'village_code', 5) AS regency_code, s.span, s.starts, f.breakdown, f.key,
               f.dimension, f.value, count(*)::integer AS n
        FROM jsonb_array_elements(rows) r
        CROSS JOIN LATERAL rm_referral_facts(kind, r) f
        CROSS JOIN LATERAL (VALUES ('day', (f.at AT TIME ZONE 'UTC')::date),
                                   ('month', rm_child_month(f.at))) s (span, starts)
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), fine AS (
        INSERT INTO rm_referral_hours AS h (regency_code, breakdown, key, dimension, coarse, span, starts,
                                            value, n)
        SELECT regency_code, breakdown, key, dimension, rm_hours_coarse(value), span, starts, value, n
        FROM facts WHERE dimension LIKE 'hours%' ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (regency_code, breakdown, key, dimension, coarse, span, starts, value)
        DO UPDATE SET n = h.n + EXCLUDED.n
    )
    INSERT INTO rm_referral_counts AS c (regency_code, span, starts, breakdown, key, dimension, value, n)
    SELECT regency_code, span, starts, breakdown, key, dimension,
           CASE WHEN dimension LIKE 'hours%' THEN rm_hours_coarse(value) ELSE value END, sum(n)
    FROM facts GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (regency_code, span, starts, breakdown, key, dimension, value)
    DO UPDATE SET n = c.n + EXCLUDED.n
$$"""

REFERRALS_INSERTED_V1 = f"""
CREATE FUNCTION rm_referrals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rm_referral_rows_counted('referral', (SELECT jsonb_agg(to_jsonb(i)) FROM inserted i));
    {_NEEDS_MERGED.format(table="rm_need_providers", key="need_id, organization_id")};
    {_NEEDS_MERGED.format(table="rm_needs", key="need_id")};
    RETURN NULL;
END $$"""

NEED_ROWS_INSERTED_V1 = """
CREATE FUNCTION rm_need_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rm_referral_rows_counted(TG_ARGV[0], (SELECT jsonb_agg(to_jsonb(i)) FROM inserted i));
    RETURN NULL;
END $$"""

# --- migration 0015: birth month ---

CHILD_KEYS_V2 = """
CREATE FUNCTION rm_child_keys(sex text, birth_year smallint, birth_month text, classification text, status text,
                              mapping_categories text[]) RETURNS TABLE (dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'all', '' UNION ALL SELECT 'sex', sex
    UNION ALL SELECT 'birth_month', COALESCE(birth_month, birth_year::text)
    UNION ALL SELECT 'classification', classification UNION ALL SELECT 'status', status
    UNION ALL SELECT 'mapping', m FROM unnest(mapping_categories) AS m
$$"""

CHILDREN_COUNTED_V2 = """
CREATE OR REPLACE FUNCTION rm_children_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row rm_children;
    new_row rm_children;
    count_old boolean := false;
    count_new boolean := false;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := OLD; count_old := OLD.merged_into IS NULL; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := NEW; count_new := NEW.merged_into IS NULL; END IF;
    INSERT INTO rm_child_counts AS c (village_code, month, dimension, value, n)
    SELECT village_code, month, dimension, value, sum(d) FROM (
        SELECT old_row.village_code AS village_code, rm_child_month(old_row.registered_at) AS month,
               k.dimension, k.value, -1 AS d
        FROM rm_child_keys(old_row.sex, old_row.birth_year, old_row.birth_month, old_row.classification,
                           old_row.status, old_row.mapping_categories) k WHERE count_old
        UNION ALL
        SELECT new_row.village_code, rm_child_month(new_row.registered_at), k.dimension, k.value, 1
        FROM rm_child_keys(new_row.sex, new_row.birth_year, new_row.birth_month, new_row.classification,
                           new_row.status, new_row.mapping_categories) k WHERE count_new
    ) deltas
    GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village_code, month, dimension, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$"""

CHILDREN_INSERTED_V2 = """
CREATE OR REPLACE FUNCTION rm_children_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rm_child_counts AS c (village_code, month, dimension, value, n)
    SELECT i.village_code, rm_child_month(i.registered_at), k.dimension, k.value, count(*)
    FROM inserted i CROSS JOIN LATERAL rm_child_keys(i.sex, i.birth_year, i.birth_month, i.classification,
                           i.status, i.mapping_categories) k
    WHERE i.merged_into IS NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village_code, month, dimension, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$"""

CHILD_COUNTS_REFILL_V2 = """
CREATE OR REPLACE FUNCTION rm_child_counts_refill() RETURNS void LANGUAGE sql AS $$
    DELETE FROM rm_child_counts;
    INSERT INTO rm_child_counts (village_code, month, dimension, value, n)
    SELECT c.village_code, rm_child_month(c.registered_at), k.dimension, k.value, count(*)
    FROM rm_children c CROSS JOIN LATERAL rm_child_keys(c.sex, c.birth_year, c.birth_month, c.classification,
                           c.status, c.mapping_categories) k
    WHERE c.merged_into IS NULL
    GROUP BY 1, 2, 3, 4
$$"""

# --- migration 0020: referral facts from typed columns ---

# The facts of a referral row (`kind` 'referral'), or of a need's first offer in all or at one
# provider ('needs', 'provider_needs'), from its columns: `offered` is the referral's offer, or the
# need's first. The insert triggers read them from the inserted rows directly; making each row a
# jsonb document and reading its fields back cost PostgreSQL a third of a flag's four offers (issue
# 27: 1.45 -> 1.0 ms). `rm_referral_facts` (jsonb: the row triggers, the refill) reads its fields
# into this one, so the facts are defined once.
REFERRAL_FACTS_OF_V1 = """
CREATE FUNCTION rm_referral_facts_of(kind text, offered timestamptz, category text, organization_id text,
                                     status text, accepted_at timestamptz, ended_at timestamptz, served boolean)
RETURNS TABLE (at timestamptz, breakdown text, key text, dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT offered, g.breakdown, g.key, k.dimension, k.value
    FROM (VALUES ('category', category), ('provider', organization_id)) g (breakdown, key)
    CROSS JOIN LATERAL (
        SELECT * FROM rm_referral_keys(status, offered, accepted_at, ended_at) WHERE kind = 'referral'
        UNION ALL SELECT 'needs', '' WHERE kind <> 'referral'
        UNION ALL SELECT 'needs_served', '' WHERE kind <> 'referral' AND served
    ) k
    WHERE offered IS NOT NULL
      AND (kind = 'referral' OR g.breakdown = CASE WHEN kind = 'needs' THEN 'category' ELSE 'provider' END)
$$"""

REFERRAL_FACTS_V2 = """
CREATE OR REPLACE FUNCTION rm_referral_facts(kind text, r jsonb)
RETURNS TABLE (at timestamptz, breakdown text, key text, dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM rm_referral_facts_of(
        kind, (CASE WHEN kind = 'referral' THEN r ->> 'offered_at' ELSE r ->> 'first_offered_at' END)::timestamptz,
        r ->> 'category', r ->> 'organization_id', r ->> 'status', (r ->> 'accepted_at')::timestamptz,
        (r ->> 'ended_at')::timestamptz, (r ->> 'served')::boolean)
    WHERE r IS NOT NULL
$$"""

# The counters of the rows a statement inserted (`inserted`), their facts by `rm_referral_facts_of`
# given `{columns}` of each row `i`: as `rm_referral_rows_counted` counted them from jsonb.
_INSERTED_COUNTED = """
    WITH facts AS (
        SELECT left(i.village_code, 5) AS regency_code, s.span, s.starts, f.breakdown, f.key,
               f.dimension, f.value, count(*)::integer AS n
        FROM inserted i
        CROSS JOIN LATERAL rm_referral_facts_of({columns}) f
        CROSS JOIN LATERAL (VALUES ('day', (f.at AT TIME ZONE 'UTC')::date),
                                   ('month', rm_child_month(f.at))) s (span, starts)
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    ), fine AS (
        INSERT INTO rm_referral_hours AS h (regency_code, breakdown, key, dimension, coarse, span, starts,
                                            value, n)
        SELECT regency_code, breakdown, key, dimension, rm_hours_coarse(value), span, starts, value, n
        FROM facts WHERE dimension LIKE 'hours%' ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (regency_code, breakdown, key, dimension, coarse, span, starts, value)
        DO UPDATE SET n = h.n + EXCLUDED.n
    )
    INSERT INTO rm_referral_counts AS c (regency_code, span, starts, breakdown, key, dimension, value, n)
    SELECT regency_code, span, starts, breakdown, key, dimension,
           CASE WHEN dimension LIKE 'hours%' THEN rm_hours_coarse(value) ELSE value END, sum(n)
    FROM facts GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (regency_code, span, starts, breakdown, key, dimension, value)
    DO UPDATE SET n = c.n + EXCLUDED.n"""

REFERRALS_INSERTED_V2 = f"""
CREATE OR REPLACE FUNCTION rm_referrals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_INSERTED_COUNTED.format(columns="'referral', i.offered_at, i.category, i.organization_id::text, i.status, "
                                      "i.accepted_at, i.ended_at, NULL")};
    {_NEEDS_MERGED.format(table="rm_need_providers", key="need_id, organization_id")};
    {_NEEDS_MERGED.format(table="rm_needs", key="need_id")};
    RETURN NULL;
END $$"""

NEED_ROWS_INSERTED_V2 = f"""
CREATE OR REPLACE FUNCTION rm_need_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_INSERTED_COUNTED.format(columns="TG_ARGV[0], i.first_offered_at, i.category, i.organization_id::text, NULL, "
                                      "NULL, NULL, i.served")};
    RETURN NULL;
END $$"""

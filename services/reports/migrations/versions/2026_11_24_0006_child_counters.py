"""Counters of the summary report: children per desa, registration month and attribute.

`rm_child_counts` holds, for each desa and month of registration, how many children (not merged
into another record) have each sex, birth year, classification, status and mapping category,
and how many there are in all. A trigger on `rm_children` keeps it in the same transaction as
the row it counts, so it is exact whatever handler changed the row, and a replay rebuilds it.
A report sums the counters of the whole months in its period and counts the rows of the days at
its edges.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_all(op, [
        """
        CREATE TABLE rm_child_counts (
            village_code text NOT NULL,
            month        date NOT NULL,
            dimension    text NOT NULL,
            value        text NOT NULL,
            n            integer NOT NULL,
            PRIMARY KEY (village_code, month, dimension, value)
        )""",
        "CREATE INDEX rm_children_registered ON rm_children (registered_at)",
        # What one child counts towards (the report's dimensions); one definition for the trigger,
        # the backfill and the report's edge days.
        """
        CREATE FUNCTION rm_child_keys(sex text, birth_year smallint, classification text, status text,
                                      mapping_categories text[]) RETURNS TABLE (dimension text, value text)
        LANGUAGE sql IMMUTABLE AS $$
            SELECT 'all', '' UNION ALL SELECT 'sex', sex UNION ALL SELECT 'birth_year', birth_year::text
            UNION ALL SELECT 'classification', classification UNION ALL SELECT 'status', status
            UNION ALL SELECT 'mapping', m FROM unnest(mapping_categories) AS m
        $$""",
        """
        CREATE FUNCTION rm_child_month(registered timestamptz) RETURNS date
        LANGUAGE sql IMMUTABLE AS $$ SELECT date_trunc('month', registered AT TIME ZONE 'UTC')::date $$""",
        # The old row's keys count -1 and the new row's +1; keys that did not change cancel out.
        # Counters are written in key order, so two transactions never wait on each other in a cycle.
        """
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
        END $$""",
        """
        CREATE TRIGGER rm_children_counted AFTER INSERT OR DELETE ON rm_children
        FOR EACH ROW EXECUTE FUNCTION rm_children_counted()""",
        """
        CREATE TRIGGER rm_children_recounted
        AFTER UPDATE OF village_code, sex, birth_year, classification, status, mapping_categories, merged_into,
                        registered_at ON rm_children
        FOR EACH ROW EXECUTE FUNCTION rm_children_counted()""",
        # Counting everything again from the rows: the backfill here, and bulk loads that bypass the
        # trigger (ALTER TABLE rm_children DISABLE TRIGGER USER, load, SELECT rm_child_counts_refill()).
        """
        CREATE FUNCTION rm_child_counts_refill() RETURNS void LANGUAGE sql AS $$
            DELETE FROM rm_child_counts;
            INSERT INTO rm_child_counts (village_code, month, dimension, value, n)
            SELECT c.village_code, rm_child_month(c.registered_at), k.dimension, k.value, count(*)
            FROM rm_children c
            CROSS JOIN LATERAL rm_child_keys(c.sex, c.birth_year, c.classification, c.status,
                                             c.mapping_categories) k
            WHERE c.merged_into IS NULL
            GROUP BY 1, 2, 3, 4
        $$""",
        "SELECT rm_child_counts_refill()",
    ])


def downgrade() -> None:
    execute_all(op, [
        "DROP TRIGGER rm_children_recounted ON rm_children",
        "DROP TRIGGER rm_children_counted ON rm_children",
        "DROP FUNCTION rm_children_counted()",
        "DROP FUNCTION rm_child_counts_refill()",
        "DROP FUNCTION rm_child_month(timestamptz)",
        "DROP FUNCTION rm_child_keys(text, smallint, text, text, text[])",
        "DROP INDEX rm_children_registered",
        "DROP TABLE rm_child_counts",
    ])

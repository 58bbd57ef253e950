"""Ages on the report's reference date: the read model keeps the month of birth (never the day).

The counters key a child by its month of birth (`birth_month`, 'YYYY-MM'; 'YYYY' for a child
whose events carried the year only), so the summary's age bands are ages on the period's last
day, not the year's difference. `rm_child_keys` gains the month (a new signature: the old one
is dropped once nothing calls it), the triggers and the refill call it, and the counters are
counted again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from alembic import op

from sprpa_shared.migrations import execute_all

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

def _keys(month: bool) -> str:
    if month:
        return """
CREATE FUNCTION rm_child_keys(sex text, birth_year smallint, birth_month text, classification text, status text,
                              mapping_categories text[]) RETURNS TABLE (dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'all', '' UNION ALL SELECT 'sex', sex
    UNION ALL SELECT 'birth_month', COALESCE(birth_month, birth_year::text)
    UNION ALL SELECT 'classification', classification UNION ALL SELECT 'status', status
    UNION ALL SELECT 'mapping', m FROM unnest(mapping_categories) AS m
$$"""
    return """
CREATE FUNCTION rm_child_keys(sex text, birth_year smallint, classification text, status text,
                              mapping_categories text[]) RETURNS TABLE (dimension text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'all', '' UNION ALL SELECT 'sex', sex UNION ALL SELECT 'birth_year', birth_year::text
    UNION ALL SELECT 'classification', classification UNION ALL SELECT 'status', status
    UNION ALL SELECT 'mapping', m FROM unnest(mapping_categories) AS m
$$"""


def _callers(month: bool) -> list[str]:
    """The trigger functions and the refill, calling `rm_child_keys` with or without the month."""
    def keys(row: str) -> str:
        birth_month = f" {row}.birth_month," if month else ""
        return (f"rm_child_keys({row}.sex, {row}.birth_year,{birth_month} {row}.classification, {row}.status, "
                f"{row}.mapping_categories)")

    return [f"""
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
        FROM {keys("old_row")} k WHERE count_old
        UNION ALL
        SELECT new_row.village_code, rm_child_month(new_row.registered_at), k.dimension, k.value, 1
        FROM {keys("new_row")} k WHERE count_new
    ) deltas
    GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village_code, month, dimension, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$""", f"""
CREATE OR REPLACE FUNCTION rm_children_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rm_child_counts AS c (village_code, month, dimension, value, n)
    SELECT i.village_code, rm_child_month(i.registered_at), k.dimension, k.value, count(*)
    FROM inserted i CROSS JOIN LATERAL {keys("i")} k
    WHERE i.merged_into IS NULL
    GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (village_code, month, dimension, value) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$""", f"""
CREATE OR REPLACE FUNCTION rm_child_counts_refill() RETURNS void LANGUAGE sql AS $$
    DELETE FROM rm_child_counts;
    INSERT INTO rm_child_counts (village_code, month, dimension, value, n)
    SELECT c.village_code, rm_child_month(c.registered_at), k.dimension, k.value, count(*)
    FROM rm_children c CROSS JOIN LATERAL {keys("c")} k
    WHERE c.merged_into IS NULL
    GROUP BY 1, 2, 3, 4
$$""", "DROP TRIGGER rm_children_recounted ON rm_children", f"""
CREATE TRIGGER rm_children_recounted
AFTER UPDATE OF village_code, sex, birth_year,{" birth_month," if month else ""} classification, status,
                mapping_categories, merged_into, registered_at ON rm_children
FOR EACH ROW EXECUTE FUNCTION rm_children_counted()"""]


def upgrade() -> None:
    execute_all(op, [
        "ALTER TABLE rm_children ADD COLUMN birth_month text",
        _keys(month=True), *_callers(month=True),
        "DROP FUNCTION rm_child_keys(text, smallint, text, text, text[])",
        "SELECT rm_child_counts_refill()",
    ])


def downgrade() -> None:
    execute_all(op, [
        _keys(month=False), *_callers(month=False),
        "DROP FUNCTION rm_child_keys(text, smallint, text, text, text, text[])",
        "ALTER TABLE rm_children DROP COLUMN birth_month",
        "SELECT rm_child_counts_refill()",
    ])

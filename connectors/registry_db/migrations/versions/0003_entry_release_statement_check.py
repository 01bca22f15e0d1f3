"""PostgreSQL: check registry_entry -> registry_release once per statement, not per row.

A release's entries arrive in one ``COPY`` of about 540,000 rows at city scale, all with
the same ``release_id``. The foreign key ``fk_registry_entry_release`` checked each row
on its own (one look-up and one row lock per row): about 1.2 s of the ~4.6 s the
database spends on a city's COPY. This revision replaces it, on PostgreSQL only, with
statement-level triggers that enforce the same rule on the statement's transition
tables:

* after an INSERT or UPDATE on ``registry_entry``: every ``release_id`` of the new rows
  exists in ``registry_release``; those release rows are locked ``FOR KEY SHARE`` (the
  lock the foreign key took), so a concurrent transaction can neither delete them nor
  change their id until this one ends;
* after a DELETE on ``registry_release``, or an UPDATE that changes a ``release_id``: no
  entry still refers to a release that is gone.

A violation raises SQLSTATE 23503 (``foreign_key_violation``) naming the constraint, as
the foreign key did. SQLite keeps the declared foreign key (its checks are cheap and it
has no statement-level triggers with transition tables). The functions pin their
``search_path`` to the schema they were created in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the constraint the triggers stand for (also the name their errors give)
CONSTRAINT = "fk_registry_entry_release"

_UPGRADE = [
    f"ALTER TABLE registry_entry DROP CONSTRAINT {CONSTRAINT}",
    f"""
    CREATE FUNCTION sigap_entry_release_exists() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    DECLARE
        missing integer;
    BEGIN
        PERFORM 1 FROM registry_release r
        WHERE r.release_id IN (SELECT DISTINCT n.release_id FROM sigap_new_entries n)
        FOR KEY SHARE;
        SELECT n.release_id INTO missing
        FROM (SELECT DISTINCT release_id FROM sigap_new_entries) n
        WHERE NOT EXISTS (
            SELECT 1 FROM registry_release r WHERE r.release_id = n.release_id
        )
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'insert or update on table "registry_entry" violates foreign key constraint "{CONSTRAINT}"'
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (release_id)=(%s) is not present in table "registry_release".', missing),
                      CONSTRAINT = '{CONSTRAINT}', TABLE = 'registry_entry';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER registry_entry_release_insert AFTER INSERT ON registry_entry
    REFERENCING NEW TABLE AS sigap_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION sigap_entry_release_exists()
    """,
    """
    CREATE TRIGGER registry_entry_release_update AFTER UPDATE ON registry_entry
    REFERENCING NEW TABLE AS sigap_new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION sigap_entry_release_exists()
    """,
    f"""
    CREATE FUNCTION sigap_release_has_no_entries() RETURNS trigger
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    DECLARE
        referenced integer;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            SELECT o.release_id INTO referenced FROM sigap_old_releases o
            WHERE EXISTS (SELECT 1 FROM registry_entry e WHERE e.release_id = o.release_id)
            LIMIT 1;
        ELSE
            SELECT o.release_id INTO referenced FROM sigap_old_releases o
            WHERE NOT EXISTS (
                SELECT 1 FROM sigap_new_releases n WHERE n.release_id = o.release_id
            )
            AND EXISTS (SELECT 1 FROM registry_entry e WHERE e.release_id = o.release_id)
            LIMIT 1;
        END IF;
        IF FOUND THEN
            RAISE EXCEPTION 'update or delete on table "registry_release" violates foreign key constraint "{CONSTRAINT}" on table "registry_entry"'
                USING ERRCODE = 'foreign_key_violation',
                      DETAIL = format('Key (release_id)=(%s) is still referenced from table "registry_entry".', referenced),
                      CONSTRAINT = '{CONSTRAINT}', TABLE = 'registry_release';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER registry_release_entries_delete AFTER DELETE ON registry_release
    REFERENCING OLD TABLE AS sigap_old_releases
    FOR EACH STATEMENT EXECUTE FUNCTION sigap_release_has_no_entries()
    """,
    """
    CREATE TRIGGER registry_release_entries_update AFTER UPDATE ON registry_release
    REFERENCING OLD TABLE AS sigap_old_releases NEW TABLE AS sigap_new_releases
    FOR EACH STATEMENT EXECUTE FUNCTION sigap_release_has_no_entries()
    """,
]

_DOWNGRADE = [
    "DROP TRIGGER registry_release_entries_update ON registry_release",
    "DROP TRIGGER registry_release_entries_delete ON registry_release",
    "DROP FUNCTION sigap_release_has_no_entries()",
    "DROP TRIGGER registry_entry_release_update ON registry_entry",
    "DROP TRIGGER registry_entry_release_insert ON registry_entry",
    "DROP FUNCTION sigap_entry_release_exists()",
    f"ALTER TABLE registry_entry ADD CONSTRAINT {CONSTRAINT} FOREIGN KEY (release_id) "
    "REFERENCES registry_release (release_id)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _DOWNGRADE:
        op.execute(statement)

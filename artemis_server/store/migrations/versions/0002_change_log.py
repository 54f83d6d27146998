"""durable change log, entity versions, folded key columns (issue 14, S14.2, S17.2)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-14 09:00:00.000000

* ``artemis_change``: every management change, written in the transaction that made it (origin, per-origin
  sequence number, hybrid-logical-clock stamp, the resulting value of each entity it touched, its audit rows).
* ``artemis_origin``: per origin, the highest sequence number this database holds (what peers ask about).
* ``artemis_entity``: per entity, the stamp and value of the change that produced its current state (the
  last-writer-wins register every node merges into).
* ``FOLD_KEY`` / ``fold_key``: the Unicode case-folded identity of a row (S17.2), filled here for existing rows.
  Java and Rust nodes sharing the database leave it NULL; the store folds such rows in Python.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEP = "\x1f"

# table -> (folded column name, [(source column, fold it?)]); the rule is str.casefold (S17.2), spelled out
# here rather than imported so that this revision keeps meaning what it meant when it was written.
FOLDED: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "instance": ("FOLD_KEY", [("REGION_ID", True), ("SERVICE_ID", True), ("INSTANCE_ID", True)]),
    "server": ("FOLD_KEY", [("REGION_ID", True), ("SERVER_ID", False)]),
    "service_zone": ("FOLD_KEY", [("REGION_ID", True), ("ZONE_ID", False), ("SERVICE_ID", True)]),
    "canary_config": ("fold_key", [("service_id", True)]),
    "service_instance": ("FOLD_KEY", [("SERVICE_ID", True), ("INSTANCE_ID", False)]),
}


def fold_row(row: Any, parts: list[tuple[str, bool]]) -> str:
    out = []
    for col, folded in parts:
        v = row[col] or ""
        out.append(v.casefold() if folded else v)
    return SEP.join(out)


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if "artemis_change" not in existing:
        op.create_table(
            "artemis_change",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("origin", sa.String(length=160), nullable=False),
            sa.Column("seq", sa.BigInteger(), nullable=False),
            sa.Column("hlc_ms", sa.BigInteger(), nullable=False),
            sa.Column("hlc_n", sa.Integer(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("origin", "seq", name="uq_artemis_change_origin_seq"),
        )
        op.create_index("ix_artemis_change_hlc", "artemis_change", ["hlc_ms", "hlc_n"], unique=False)
    if "artemis_origin" not in existing:
        op.create_table(
            "artemis_origin",
            sa.Column("origin", sa.String(length=160), nullable=False),
            sa.Column("max_seq", sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("origin"),
        )
    if "artemis_entity" not in existing:
        op.create_table(
            "artemis_entity",
            sa.Column("entity_id", sa.String(length=64), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("parent", sa.String(length=64), nullable=True),
            sa.Column("hlc_ms", sa.BigInteger(), nullable=False),
            sa.Column("hlc_n", sa.Integer(), nullable=False),
            sa.Column("origin", sa.String(length=160), nullable=False),
            sa.Column("value", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("entity_id"),
        )
        op.create_index("ix_artemis_entity_parent", "artemis_entity", ["parent"], unique=False)
    insp = sa.inspect(bind)
    for table, (column, parts) in FOLDED.items():
        if column not in {c["name"] for c in insp.get_columns(table)}:
            with op.batch_alter_table(table) as batch_op:
                batch_op.add_column(sa.Column(column, sa.String(length=2048), nullable=True))
        if f"ix_{table}_fold" not in {i["name"] for i in insp.get_indexes(table)}:
            op.create_index(f"ix_{table}_fold", table, [column], unique=False)
        tbl = sa.table(table, sa.column("id"), sa.column(column), *(sa.column(c) for c, _ in parts))
        rows = bind.execute(sa.select(tbl).where(tbl.c[column].is_(None))).mappings().all()
        for row in rows:
            bind.execute(sa.update(tbl).where(tbl.c.id == row["id"]).values({column: fold_row(row, parts)}))


def downgrade() -> None:
    for table, (column, _) in FOLDED.items():
        op.drop_index(f"ix_{table}_fold", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
    op.drop_index("ix_artemis_entity_parent", table_name="artemis_entity")
    op.drop_table("artemis_entity")
    op.drop_table("artemis_origin")
    op.drop_index("ix_artemis_change_hlc", table_name="artemis_change")
    op.drop_table("artemis_change")

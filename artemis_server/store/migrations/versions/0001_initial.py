"""initial schema (S17)

Revision ID: 0001
Revises:
Create Date: 2026-11-29 05:18:19.897281
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# S17.1: "create tables with IF NOT EXISTS on start": a database created by the Java or Rust implementation
# already holds some of these tables; they are kept as they are and only the missing ones are created.


def _existing() -> set[str]:
    return set(sa.inspect(op.get_bind()).get_table_names())


_EXISTING: set[str] = set()
_CREATED: set[str] = set()


def _create_table(name: str, *columns: Any, **kw: Any) -> None:
    if name in _EXISTING:
        return
    op.create_table(name, *columns, **kw)
    _CREATED.add(name)


def _create_index(table: str, name: str, columns: list[str], *, unique: bool) -> None:
    if table in _CREATED:
        op.create_index(name, table, columns, unique=unique)


def upgrade() -> None:
    _EXISTING.clear()
    _EXISTING.update(_existing())
    _CREATED.clear()
    _create_table(
        "artemis_meta",
        sa.Column("meta_key", sa.String(length=64), nullable=False),
        sa.Column("meta_value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("meta_key"),
    )
    _create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("log_id", sa.BigInteger(), nullable=True),
        sa.Column("operation_type", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=1024), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=128), nullable=True),
        sa.Column("operation_time", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("log_id", name="uq_audit_log_id"),
    )
    _create_index("audit_log", "ix_audit_log_time", ["operation_time"], unique=False)
    _create_index("audit_log", "ix_audit_log_type", ["operation_type"], unique=False)
    _create_table(
        "auth_login_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("login_time", sa.BigInteger(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=1024), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("last_activity", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", name="uq_auth_session_id"),
        sa.UniqueConstraint("token", name="uq_auth_session_token"),
    )
    _create_table(
        "auth_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=True),
        sa.Column("password_hash", sa.String(length=512), nullable=False),
        sa.Column("role", sa.String(length=32), server_default="viewer", nullable=False),
        sa.Column("status", sa.String(length=32), server_default="active", nullable=False),
        sa.Column("description", sa.String(length=1024), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", name="uq_auth_user_id"),
        sa.UniqueConstraint("username", name="uq_auth_username"),
    )
    _create_table(
        "canary_config",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("service_id", sa.String(length=256), nullable=False),
        sa.Column("ip_whitelist", sa.Text(), server_default="[]", nullable=False),
        sa.Column("enabled", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id", name="uq_canary_service"),
    )
    _create_table(
        "instance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("INSTANCE_ID", sa.String(length=256), nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=False),
        sa.Column("REGION_ID", sa.String(length=64), nullable=False),
        sa.Column("OPERATION", sa.String(length=32), nullable=False),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("EFFECTIVE", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("INSTANCE_ID", "SERVICE_ID", "REGION_ID", "OPERATION", name="uq_instance_op"),
    )
    _create_table(
        "instance_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("INSTANCE_ID", sa.String(length=256), nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=False),
        sa.Column("REGION_ID", sa.String(length=64), nullable=False),
        sa.Column("OPERATION", sa.String(length=32), nullable=False),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("COMPLETE", sa.Integer(), server_default="0", nullable=False),
        sa.Column("EXTENSIONS", sa.Text(), server_default="{}", nullable=False),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index("instance_log", "ix_instance_log_service", ["SERVICE_ID"], unique=False)
    _create_table(
        "server",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVER_ID", sa.String(length=128), nullable=False),
        sa.Column("REGION_ID", sa.String(length=64), nullable=False),
        sa.Column("OPERATION", sa.String(length=32), nullable=False),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("SERVER_ID", "REGION_ID", "OPERATION", name="uq_server_op"),
    )
    _create_table(
        "server_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVER_ID", sa.String(length=128), nullable=False),
        sa.Column("REGION_ID", sa.String(length=64), nullable=False),
        sa.Column("OPERATION", sa.String(length=32), nullable=False),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("COMPLETE", sa.Integer(), server_default="0", nullable=False),
        sa.Column("EXTENSIONS", sa.Text(), server_default="{}", nullable=False),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_group",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=False),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.Column("NAME", sa.String(length=128), nullable=False),
        sa.Column("APP_ID", sa.String(length=256), nullable=True),
        sa.Column("DESCRIPTION", sa.String(length=1024), nullable=True),
        sa.Column("STATUS", sa.String(length=32), server_default="active", nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("DELETED", sa.Integer(), server_default="0", nullable=False),
        sa.Column("type", sa.String(length=32), server_default="physical", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index("service_group", "ix_service_group_deleted", ["DELETED"], unique=False)
    _create_index("service_group", "ix_service_group_service", ["SERVICE_ID"], unique=False)
    _create_table(
        "service_group_instance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=False),
        sa.Column("INSTANCE_ID", sa.String(length=256), nullable=False),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=True),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.Column("BINDING_TYPE", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("GROUP_ID", "INSTANCE_ID", name="uq_group_instance"),
    )
    _create_table(
        "service_group_instance_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=True),
        sa.Column("INSTANCE_ID", sa.String(length=256), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("REASON", sa.String(length=1024), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_group_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=True),
        sa.Column("PARENT_ID", sa.BigInteger(), nullable=True),
        sa.Column("NAME", sa.String(length=128), nullable=True),
        sa.Column("STATUS", sa.String(length=32), nullable=True),
        sa.Column("WEIGHT", sa.Integer(), nullable=True),
        sa.Column("TYPE", sa.String(length=32), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("DESCRIPTION", sa.String(length=1024), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("EXTENSIONS", sa.Text(), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=True),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.Column("APP_ID", sa.String(length=256), nullable=True),
        sa.Column("REASON", sa.String(length=1024), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_group_operation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=False),
        sa.Column("OPERATION", sa.String(length=32), nullable=False),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("GROUP_ID", "OPERATION", name="uq_group_operation"),
    )
    _create_table(
        "service_group_operation_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("COMPLETE", sa.Integer(), server_default="0", nullable=True),
        sa.Column("EXTENSIONS", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=1024), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_group_tag",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=False),
        sa.Column("TAG", sa.String(length=128), nullable=False),
        sa.Column("VALUE", sa.String(length=1024), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("GROUP_ID", "TAG", name="uq_group_tag"),
    )
    _create_table(
        "service_group_tag_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=False),
        sa.Column("TAG", sa.String(length=128), nullable=True),
        sa.Column("VALUE", sa.String(length=1024), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("EXTENSIONS", sa.Text(), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_instance",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=False),
        sa.Column("INSTANCE_ID", sa.String(length=256), nullable=False),
        sa.Column("IP", sa.String(length=64), nullable=True),
        sa.Column("MACHINE_NAME", sa.String(length=256), nullable=True),
        sa.Column("METADATA", sa.Text(), nullable=True),
        sa.Column("PORT", sa.Integer(), server_default="80", nullable=True),
        sa.Column("PROTOCOL", sa.String(length=32), server_default="http", nullable=True),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.Column("GROUP_ID", sa.String(length=128), nullable=True),
        sa.Column("HEALTHY_CHECK_URL", sa.String(length=1024), nullable=True),
        sa.Column("URL", sa.String(length=1024), nullable=True),
        sa.Column("DESCRIPTION", sa.String(length=1024), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("SERVICE_ID", "INSTANCE_ID", name="uq_service_instance"),
    )
    _create_table(
        "service_instance_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=False),
        sa.Column("INSTANCE_ID", sa.String(length=256), nullable=False),
        sa.Column("IP", sa.String(length=64), nullable=True),
        sa.Column("MACHINE_NAME", sa.String(length=256), nullable=True),
        sa.Column("METADATA", sa.Text(), nullable=True),
        sa.Column("PORT", sa.Integer(), server_default="80", nullable=True),
        sa.Column("PROTOCOL", sa.String(length=32), server_default="http", nullable=True),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.Column("GROUP_ID", sa.String(length=128), nullable=True),
        sa.Column("HEALTHY_CHECK_URL", sa.String(length=1024), nullable=True),
        sa.Column("URL", sa.String(length=1024), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_route_rule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=False),
        sa.Column("NAME", sa.String(length=128), nullable=False),
        sa.Column("DESCRIPTION", sa.String(length=1024), nullable=True),
        sa.Column("STATUS", sa.String(length=32), server_default="inactive", nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("DELETED", sa.Integer(), server_default="0", nullable=False),
        sa.Column("strategy", sa.String(length=64), server_default="weighted-round-robin", nullable=True),
        sa.Column("DISPLAY_NAME", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_index("service_route_rule", "ix_service_route_rule_service", ["SERVICE_ID"], unique=False)
    _create_index("service_route_rule", "ix_service_route_rule_status", ["STATUS"], unique=False)
    _create_table(
        "service_route_rule_group",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ROUTE_RULE_ID", sa.BigInteger(), nullable=False),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=True),
        sa.Column("WEIGHT", sa.Integer(), nullable=True),
        sa.Column("UNRELEASED_WEIGHT", sa.Integer(), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("GROUP_KEY", sa.String(length=512), nullable=True),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ROUTE_RULE_ID", "GROUP_ID", name="uq_rule_group"),
    )
    _create_table(
        "service_route_rule_group_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ROUTE_RULE_ID", sa.BigInteger(), nullable=True),
        sa.Column("GROUP_ID", sa.BigInteger(), nullable=True),
        sa.Column("WEIGHT", sa.Integer(), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("EXTENSIONS", sa.Text(), nullable=True),
        sa.Column("REASON", sa.String(length=1024), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_route_rule_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=True),
        sa.Column("NAME", sa.String(length=128), nullable=True),
        sa.Column("STATUS", sa.String(length=32), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("EXTENSIONS", sa.Text(), nullable=True),
        sa.Column("REASON", sa.String(length=1024), nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _create_table(
        "service_zone",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), server_default="", nullable=False),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=False),
        sa.Column("REGION_ID", sa.String(length=64), nullable=False),
        sa.Column("OPERATION", sa.String(length=32), nullable=False),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("SERVICE_ID", "REGION_ID", "ZONE_ID", "OPERATION", name="uq_service_zone"),
    )
    _create_table(
        "service_zone_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("SERVICE_ID", sa.String(length=256), nullable=True),
        sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        sa.Column("REGION_ID", sa.String(length=64), nullable=True),
        sa.Column("OPERATION", sa.String(length=32), nullable=True),
        sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        sa.Column("TOKEN", sa.String(length=256), nullable=True),
        sa.Column("REASON", sa.String(length=1024), nullable=True),
        sa.Column("COMPLETE", sa.Integer(), server_default="0", nullable=True),
        sa.Column(
            "CREATE_TIME", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column(
            "DataChange_LastTime",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _add_our_columns()


def _add_our_columns() -> None:
    """Tables a Java/Rust node created lack our two additive columns (see store/tables.py): add them."""
    insp = sa.inspect(op.get_bind())
    wanted: dict[str, list[sa.Column[Any]]] = {
        "instance": [sa.Column("EFFECTIVE", sa.Integer(), server_default="1", nullable=False)],
        "service_zone": [sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True)],
        "service_route_rule": [sa.Column("DISPLAY_NAME", sa.String(length=256), nullable=True)],
        "service_route_rule_group": [
            sa.Column("GROUP_KEY", sa.String(length=512), nullable=True),
            sa.Column("REGION_ID", sa.String(length=64), nullable=True),
            sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
        ],
        "service_group_instance": [
            sa.Column("SERVICE_ID", sa.String(length=256), nullable=True),
            sa.Column("REGION_ID", sa.String(length=64), nullable=True),
            sa.Column("ZONE_ID", sa.String(length=64), nullable=True),
            sa.Column("BINDING_TYPE", sa.String(length=32), nullable=True),
            sa.Column("OPERATOR_ID", sa.String(length=128), nullable=True),
        ],
    }
    for table, columns in wanted.items():
        if table in _CREATED:
            continue
        have = {c["name"] for c in insp.get_columns(table)}
        missing = [c for c in columns if c.name not in have]
        if missing:
            with op.batch_alter_table(table) as batch_op:
                for column in missing:
                    batch_op.add_column(column)


def downgrade() -> None:
    op.drop_table("service_zone_log")
    op.drop_table("service_zone")
    op.drop_table("service_route_rule_log")
    op.drop_table("service_route_rule_group_log")
    op.drop_table("service_route_rule_group")
    with op.batch_alter_table("service_route_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_service_route_rule_status")
        batch_op.drop_index("ix_service_route_rule_service")

    op.drop_table("service_route_rule")
    op.drop_table("service_instance_log")
    op.drop_table("service_instance")
    op.drop_table("service_group_tag_log")
    op.drop_table("service_group_tag")
    op.drop_table("service_group_operation_log")
    op.drop_table("service_group_operation")
    op.drop_table("service_group_log")
    op.drop_table("service_group_instance_log")
    op.drop_table("service_group_instance")
    with op.batch_alter_table("service_group", schema=None) as batch_op:
        batch_op.drop_index("ix_service_group_service")
        batch_op.drop_index("ix_service_group_deleted")

    op.drop_table("service_group")
    op.drop_table("server_log")
    op.drop_table("server")
    with op.batch_alter_table("instance_log", schema=None) as batch_op:
        batch_op.drop_index("ix_instance_log_service")

    op.drop_table("instance_log")
    op.drop_table("instance")
    op.drop_table("canary_config")
    op.drop_table("auth_users")
    op.drop_table("auth_sessions")
    op.drop_table("auth_login_history")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_type")
        batch_op.drop_index("ix_audit_log_time")

    op.drop_table("audit_log")
    op.drop_table("artemis_meta")

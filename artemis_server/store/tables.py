"""The management schema of spec/semantics.md S17, as SQLAlchemy Core tables.

Column names follow the Java Artemis tables (and the Rust rewrite's ``001_initial_schema.sql``) so that Java,
Rust and Python nodes can share one database. Two columns are ours and additive (nullable or defaulted, so the
other implementations ignore them); see docs/decisions.md "Management and persistence" and "Group routing":

* ``instance.EFFECTIVE``: the Rust meaning of ``operationComplete=false`` is an announced pull-out that does
  not take the instance down yet (S10.2); the Java table has no way to say so.
* ``service_zone.OPERATOR_ID``: zone status reports who pulled the zone out (S10.8).

``artemis_meta`` holds this database's random id, so peers can tell whether they share one database (S14.2).

Issue 14 (revision 0002) adds the change log (``artemis_change``, ``artemis_origin``, ``artemis_entity``;
see store/changelog.py) and a folded key column on the tables whose ids compare case-insensitively (S17.2):
``FOLD_KEY`` (``fold_key`` on canary_config), the Unicode case-folded identity joined with ``\x1f``. Our
writes fill it; rows other implementations write have it NULL and are folded in Python.
This module is the current shape; the Alembic migrations under ``migrations/versions`` create and upgrade it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

metadata = MetaData()

_NOW = func.current_timestamp()


def _pk() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _times() -> tuple[Column[object], Column[object]]:
    return (
        Column("CREATE_TIME", DateTime, nullable=False, server_default=_NOW),
        Column("DataChange_LastTime", DateTime, nullable=False, server_default=_NOW),
    )


def _fold(name: str = "FOLD_KEY") -> Column[str]:
    return Column(name, String(2048), nullable=True)


def _s(name: str, n: int = 128, *, nullable: bool = True, default: str | None = None) -> Column[str]:
    return Column(name, String(n), nullable=nullable, server_default=default)


artemis_meta = Table(
    "artemis_meta",
    metadata,
    Column("meta_key", String(64), primary_key=True),
    Column("meta_value", String(256), nullable=False),
)

# -- the change log (issue 14): see store/changelog.py --------------------------------------------------
artemis_change = Table(
    "artemis_change",
    metadata,
    _pk(),
    Column("origin", String(160), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("hlc_ms", BigInteger, nullable=False),
    Column("hlc_n", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("origin", "seq", name="uq_artemis_change_origin_seq"),
    Index("ix_artemis_change_hlc", "hlc_ms", "hlc_n"),
)

artemis_origin = Table(
    "artemis_origin",
    metadata,
    Column("origin", String(160), primary_key=True),
    Column("max_seq", BigInteger, nullable=False),
)

artemis_entity = Table(
    "artemis_entity",
    metadata,
    Column("entity_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("parent", String(64), nullable=True),
    Column("hlc_ms", BigInteger, nullable=False),
    Column("hlc_n", Integer, nullable=False),
    Column("origin", String(160), nullable=False),
    Column("value", Text, nullable=True),
    Index("ix_artemis_entity_parent", "parent"),
)

instance = Table(
    "instance",
    metadata,
    _pk(),
    _s("INSTANCE_ID", 256, nullable=False),
    _s("SERVICE_ID", 256, nullable=False),
    _s("REGION_ID", 64, nullable=False),
    _s("OPERATION", 32, nullable=False),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    *_times(),
    Column("EFFECTIVE", Integer, nullable=False, server_default="1"),
    _fold(),
    UniqueConstraint("INSTANCE_ID", "SERVICE_ID", "REGION_ID", "OPERATION", name="uq_instance_op"),
    Index("ix_instance_fold", "FOLD_KEY"),
)

instance_log = Table(
    "instance_log",
    metadata,
    _pk(),
    _s("INSTANCE_ID", 256, nullable=False),
    _s("SERVICE_ID", 256, nullable=False),
    _s("REGION_ID", 64, nullable=False),
    _s("OPERATION", 32, nullable=False),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    Column("COMPLETE", Integer, nullable=False, server_default="0"),
    Column("EXTENSIONS", Text, nullable=False, server_default="{}"),
    *_times(),
    Index("ix_instance_log_service", "SERVICE_ID"),
)

server = Table(
    "server",
    metadata,
    _pk(),
    _s("SERVER_ID", 128, nullable=False),
    _s("REGION_ID", 64, nullable=False),
    _s("OPERATION", 32, nullable=False),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    *_times(),
    _fold(),
    UniqueConstraint("SERVER_ID", "REGION_ID", "OPERATION", name="uq_server_op"),
    Index("ix_server_fold", "FOLD_KEY"),
)

server_log = Table(
    "server_log",
    metadata,
    _pk(),
    _s("SERVER_ID", 128, nullable=False),
    _s("REGION_ID", 64, nullable=False),
    _s("OPERATION", 32, nullable=False),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    Column("COMPLETE", Integer, nullable=False, server_default="0"),
    Column("EXTENSIONS", Text, nullable=False, server_default="{}"),
    *_times(),
)

service_group = Table(
    "service_group",
    metadata,
    _pk(),
    _s("SERVICE_ID", 256, nullable=False),
    _s("REGION_ID", 64),
    _s("ZONE_ID", 64),
    _s("NAME", 128, nullable=False),
    _s("APP_ID", 256),
    _s("DESCRIPTION", 1024),
    _s("STATUS", 32, default="active"),
    *_times(),
    Column("DELETED", Integer, nullable=False, server_default="0"),
    _s("type", 32, default="physical"),
    Index("ix_service_group_service", "SERVICE_ID"),
    Index("ix_service_group_deleted", "DELETED"),
)

service_group_tag = Table(
    "service_group_tag",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger, nullable=False),
    _s("TAG", 128, nullable=False),
    _s("VALUE", 1024),
    *_times(),
    UniqueConstraint("GROUP_ID", "TAG", name="uq_group_tag"),
)

service_group_tag_log = Table(
    "service_group_tag_log",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger, nullable=False),
    _s("TAG", 128),
    _s("VALUE", 1024),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    Column("EXTENSIONS", Text),
    *_times(),
)

_instance_data = (
    ("SERVICE_ID", 256),
    ("INSTANCE_ID", 256),
    ("IP", 64),
    ("MACHINE_NAME", 256),
)


def _service_instance_columns() -> list[Column[Any]]:
    cols: list[Column[Any]] = [
        _s(name, n, nullable=name not in ("SERVICE_ID", "INSTANCE_ID")) for name, n in _instance_data
    ]
    cols += [
        Column("METADATA", Text),
        Column("PORT", Integer, server_default="80"),
        _s("PROTOCOL", 32, default="http"),
        _s("REGION_ID", 64),
        _s("ZONE_ID", 64),
        _s("GROUP_ID", 128),
        _s("HEALTHY_CHECK_URL", 1024),
        _s("URL", 1024),
    ]
    return cols


service_instance = Table(
    "service_instance",
    metadata,
    _pk(),
    *_service_instance_columns(),
    _s("DESCRIPTION", 1024),
    *_times(),
    _fold(),
    UniqueConstraint("SERVICE_ID", "INSTANCE_ID", name="uq_service_instance"),
    Index("ix_service_instance_fold", "FOLD_KEY"),
)

service_instance_log = Table(
    "service_instance_log",
    metadata,
    _pk(),
    *_service_instance_columns(),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    *_times(),
)

service_route_rule = Table(
    "service_route_rule",
    metadata,
    _pk(),
    _s("SERVICE_ID", 256, nullable=False),
    _s("NAME", 128, nullable=False),
    _s("DESCRIPTION", 1024),
    _s("STATUS", 32, default="inactive"),
    *_times(),
    Column("DELETED", Integer, nullable=False, server_default="0"),
    _s("strategy", 64, default="weighted-round-robin"),
    _s("DISPLAY_NAME", 256),
    Index("ix_service_route_rule_service", "SERVICE_ID"),
    Index("ix_service_route_rule_status", "STATUS"),
)

service_route_rule_group = Table(
    "service_route_rule_group",
    metadata,
    _pk(),
    Column("ROUTE_RULE_ID", BigInteger, nullable=False),
    Column("GROUP_ID", BigInteger, nullable=True),
    Column("WEIGHT", Integer),
    Column("UNRELEASED_WEIGHT", Integer),
    *_times(),
    _s("GROUP_KEY", 512),
    _s("REGION_ID", 64),
    _s("ZONE_ID", 64),
    UniqueConstraint("ROUTE_RULE_ID", "GROUP_ID", name="uq_rule_group"),
)

service_route_rule_log = Table(
    "service_route_rule_log",
    metadata,
    _pk(),
    _s("SERVICE_ID", 256),
    _s("NAME", 128),
    _s("STATUS", 32),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    Column("EXTENSIONS", Text),
    _s("REASON", 1024),
    *_times(),
)

service_route_rule_group_log = Table(
    "service_route_rule_group_log",
    metadata,
    _pk(),
    Column("ROUTE_RULE_ID", BigInteger),
    Column("GROUP_ID", BigInteger),
    Column("WEIGHT", Integer),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    Column("EXTENSIONS", Text),
    _s("REASON", 1024),
    *_times(),
)

service_group_instance = Table(
    "service_group_instance",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger, nullable=False),
    _s("INSTANCE_ID", 256, nullable=False),
    *_times(),
    _s("SERVICE_ID", 256),
    _s("REGION_ID", 64),
    _s("ZONE_ID", 64),
    _s("BINDING_TYPE", 32),
    _s("OPERATOR_ID"),
    UniqueConstraint("GROUP_ID", "INSTANCE_ID", name="uq_group_instance"),
)

service_group_instance_log = Table(
    "service_group_instance_log",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger),
    _s("INSTANCE_ID", 256),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    _s("REASON", 1024),
    *_times(),
)

service_group_operation = Table(
    "service_group_operation",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger, nullable=False),
    _s("OPERATION", 32, nullable=False),
    *_times(),
    UniqueConstraint("GROUP_ID", "OPERATION", name="uq_group_operation"),
)

service_group_operation_log = Table(
    "service_group_operation_log",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    Column("COMPLETE", Integer, server_default="0"),
    Column("EXTENSIONS", Text),
    _s("reason", 1024),
    *_times(),
)

service_group_log = Table(
    "service_group_log",
    metadata,
    _pk(),
    Column("GROUP_ID", BigInteger),
    Column("PARENT_ID", BigInteger),
    _s("NAME", 128),
    _s("STATUS", 32),
    Column("WEIGHT", Integer),
    _s("TYPE", 32),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("DESCRIPTION", 1024),
    _s("TOKEN", 256),
    Column("EXTENSIONS", Text),
    *_times(),
    _s("SERVICE_ID", 256),
    _s("REGION_ID", 64),
    _s("ZONE_ID", 64),
    _s("APP_ID", 256),
    _s("REASON", 1024),
)

service_zone = Table(
    "service_zone",
    metadata,
    _pk(),
    _s("SERVICE_ID", 256, nullable=False, default=""),
    _s("ZONE_ID", 64, nullable=False),
    _s("REGION_ID", 64, nullable=False),
    _s("OPERATION", 32, nullable=False),
    *_times(),
    _s("OPERATOR_ID"),
    _fold(),
    UniqueConstraint("SERVICE_ID", "REGION_ID", "ZONE_ID", "OPERATION", name="uq_service_zone"),
    Index("ix_service_zone_fold", "FOLD_KEY"),
)

service_zone_log = Table(
    "service_zone_log",
    metadata,
    _pk(),
    _s("SERVICE_ID", 256),
    _s("ZONE_ID", 64),
    _s("REGION_ID", 64),
    _s("OPERATION", 32),
    _s("OPERATOR_ID"),
    _s("TOKEN", 256),
    _s("REASON", 1024),
    Column("COMPLETE", Integer, server_default="0"),
    *_times(),
)

canary_config = Table(
    "canary_config",
    metadata,
    _pk(),
    _s("service_id", 256, nullable=False),
    Column("ip_whitelist", Text, nullable=False, server_default="[]"),
    Column("enabled", Integer, nullable=False, server_default="1"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    _fold("fold_key"),
    UniqueConstraint("service_id", name="uq_canary_service"),
    Index("ix_canary_config_fold", "fold_key"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _pk(),
    Column("log_id", BigInteger, nullable=True),
    _s("operation_type", 64, nullable=False),
    _s("target_id", 1024, nullable=False),
    _s("operation", 64, nullable=False),
    _s("operator_id"),
    Column("operation_time", BigInteger, nullable=False),
    Column("details", Text),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("log_id", name="uq_audit_log_id"),
    Index("ix_audit_log_type", "operation_type"),
    Index("ix_audit_log_time", "operation_time"),
)

auth_users = Table(
    "auth_users",
    metadata,
    _pk(),
    _s("user_id", 64, nullable=False),
    _s("username", 128, nullable=False),
    _s("email", 256),
    _s("password_hash", 512, nullable=False),
    _s("role", 32, nullable=False, default="viewer"),
    _s("status", 32, nullable=False, default="active"),
    _s("description", 1024),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint("user_id", name="uq_auth_user_id"),
    UniqueConstraint("username", name="uq_auth_username"),
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    _pk(),
    _s("session_id", 64, nullable=False),
    _s("user_id", 64, nullable=False),
    _s("token", 1024, nullable=False),
    _s("ip_address", 64),
    _s("user_agent", 512),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("last_activity", BigInteger, nullable=False),
    UniqueConstraint("session_id", name="uq_auth_session_id"),
    UniqueConstraint("token", name="uq_auth_session_token"),
)

auth_login_history = Table(
    "auth_login_history",
    metadata,
    _pk(),
    _s("user_id", 64, nullable=False),
    Column("login_time", BigInteger, nullable=False),
    _s("ip_address", 64),
    _s("user_agent", 512),
    _s("status", 32, nullable=False),
)

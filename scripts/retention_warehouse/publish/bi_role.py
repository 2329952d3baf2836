"""The read-only BI role on PostgreSQL (`warehouse grant-bi`): it reads the tables of schema marts, nothing else.

The role (WAREHOUSE_BI_ROLE, default retention_bi; password WAREHOUSE_BI_PASSWORD) can connect, use
schema `marts` and select from its tables: no other schema, no CREATE anywhere. Every publish on
PostgreSQL (postgres_schemas.py) refreshes these grants; `warehouse grant-bi` does it on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from retention_warehouse.publish.outcome import PublishError
from retention_warehouse.warehouse.targets import connect

TARGET = "postgres"
MARTS_SCHEMA = "marts"
"""The one schema BI reads."""
WORK_SCHEMA = "marts__work"
"""Where a publish builds and tests the next marts before the swap."""
OLD_SCHEMA = "marts__previous"
"""The replaced marts, during the swap transaction only."""
PRIVATE_SCHEMAS = ("raw", "staging", "intermediate", "reference", WORK_SCHEMA, OLD_SCHEMA)
"""The project's schemas BI must not read: revoked from the BI role on every grant."""
BI_ROLE_ENV = "WAREHOUSE_BI_ROLE"
BI_PASSWORD_ENV = "WAREHOUSE_BI_PASSWORD"
DEFAULT_BI_ROLE = "retention_bi"


@dataclass(frozen=True)
class BiRole:
    name: str
    password: str | None = None
    """Set (or changed) on every grant when given; never stored in the repository."""


def bi_role_from_env() -> BiRole:
    return BiRole(os.environ.get(BI_ROLE_ENV) or DEFAULT_BI_ROLE, os.environ.get(BI_PASSWORD_ENV) or None)


def statement(template: str, *names: str) -> Any:
    """A statement with quoted identifiers in place of the {} in `template`."""
    from psycopg2 import sql

    return sql.SQL(template).format(*(sql.Identifier(name) for name in names))


def _role_exists(cursor: Any, role: str) -> bool:
    cursor.execute("select 1 from pg_roles where rolname = %s", [role])
    return cursor.fetchone() is not None


def existing_schemas(cursor: Any, names: tuple[str, ...]) -> list[str]:
    cursor.execute("select nspname from pg_namespace where nspname = any(%s) order by nspname", [list(names)])
    return [name for (name,) in cursor.fetchall()]


def ensure_bi_role(cursor: Any, role: BiRole) -> None:
    """Create the BI role when missing, set its password when given, let it connect, take back the rest.

    Idempotent. Creating a role or setting a password needs CREATEROLE; granting on the database and
    the project's schemas needs their owner (the user dbt builds as).
    """
    from psycopg2 import errors, extensions

    if not _role_exists(cursor, role.name):
        try:
            cursor.execute(statement("create role {} login nosuperuser nocreatedb nocreaterole noinherit", role.name))
        except errors.InsufficientPrivilege as exc:
            raise PublishError(
                f"cannot create the BI role {role.name}: this user lacks CREATEROLE. Have an administrator "
                f"run `create role {role.name} login password '...'`, or set {BI_ROLE_ENV} to an existing role"
            ) from exc
    if role.password:
        # Hashed here (SCRAM as the server asks), so the password itself never reaches the server or its log.
        hashed = extensions.encrypt_password(role.password, role.name, cursor.connection)
        cursor.execute(statement("alter role {} password %s", role.name), [hashed])
    cursor.execute("select current_database(), has_database_privilege(%s, current_database(), 'CONNECT')",
                   [role.name])
    database, can_connect = cursor.fetchone()
    if not can_connect:
        cursor.execute(statement("grant connect on database {} to {}", database, role.name))
    for schema in existing_schemas(cursor, PRIVATE_SCHEMAS):
        cursor.execute(statement("revoke all on schema {} from {}", schema, role.name))
        cursor.execute(statement("revoke all on all tables in schema {} from {}", schema, role.name))


def grant_marts(cursor: Any, role: str, schema: str = MARTS_SCHEMA) -> None:
    """USAGE on the marts schema, SELECT on its tables, and on the tables created there from now on."""
    cursor.execute(statement("grant usage on schema {} to {}", schema, role))
    cursor.execute(statement("grant select on all tables in schema {} to {}", schema, role))
    cursor.execute(statement("alter default privileges in schema {} grant select on tables to {}", schema, role))


def bi_role_problems(cursor: Any, role: str) -> list[str]:
    """Everything that makes the BI role more than a reader of `marts` (empty: read-only as meant)."""
    cursor.execute(
        "select rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolreplication from pg_roles where rolname = %s",
        [role])
    found = cursor.fetchone()
    if found is None:
        return [f"role {role} does not exist"]
    problems = [f"has attribute {name}" for name, on in
                zip(("superuser", "createdb", "createrole", "bypassrls", "replication"), found) if on]
    cursor.execute(
        "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid"
        " join pg_roles u on u.oid = m.member where u.rolname = %s order by 1", [role])
    problems += [f"is a member of role {name} (and may use its privileges)" for (name,) in cursor.fetchall()]
    cursor.execute("select has_database_privilege(%s, current_database(), 'CREATE')", [role])
    if cursor.fetchone()[0]:
        problems.append("may create schemas in this database (revoke create on database ... from it or from public)")
    cursor.execute(
        "select nspname, has_schema_privilege(%s, oid, 'CREATE'), has_schema_privilege(%s, oid, 'USAGE')"
        " from pg_namespace where nspname not like 'pg\\_%%' and nspname <> 'information_schema' order by 1",
        [role, role])
    for schema, create, usage in cursor.fetchall():
        if create:
            problems.append(f"may create objects in schema {schema} (revoke create on schema {schema} from public)")
        if usage and schema not in (MARTS_SCHEMA, "public"):
            problems.append(f"may use schema {schema}")
    return problems


def check_bi_role(cursor: Any, role: str) -> None:
    problems = bi_role_problems(cursor, role)
    if problems:
        raise PublishError(f"the BI role {role} is not read-only on {MARTS_SCHEMA}: " + "; ".join(problems))


def grant_bi(role: BiRole | None = None) -> list[str]:
    """`warehouse grant-bi`: create or refresh the BI role and its grants on the live marts.

    Returns the tables of `marts` it can read (none yet before the first build or publish).
    """
    import psycopg2

    role = role or bi_role_from_env()
    with connect(TARGET) as warehouse:
        connection = warehouse.connection
        try:
            with connection.cursor() as cursor:
                ensure_bi_role(cursor, role)
                if existing_schemas(cursor, (MARTS_SCHEMA,)):
                    grant_marts(cursor, role.name)
                check_bi_role(cursor, role.name)
                cursor.execute(
                    "select table_name from information_schema.table_privileges where grantee = %s"
                    " and table_schema = %s and privilege_type = 'SELECT' order by 1", [role.name, MARTS_SCHEMA])
                readable = [name for (name,) in cursor.fetchall()]
            connection.commit()
        except psycopg2.Error as exc:
            connection.rollback()
            raise PublishError(f"PostgreSQL refused a grant: {str(exc).strip().splitlines()[0]}") from exc
        except Exception:
            connection.rollback()
            raise
    return readable

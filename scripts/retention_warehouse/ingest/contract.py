"""The raw data contract: which files, which columns, which values are accepted.

The loader, the validator, the generator and docs/data-contract.md all read this module, so the
contract is written once. Allowed statuses and currencies come from the dbt seeds that
the marts use, so a value the checks accept is a value the models know.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from typing import Literal

from retention_warehouse.config import SEEDS_DIR

Kind = Literal["id", "string", "email", "timestamp", "date", "money", "score", "enum"]

MAX_AMOUNT = 1_000_000
"""An order amount above this (in the order's currency) is rejected as absurd."""

EARLIEST_TIMESTAMP = "1990-01-01"
"""Timestamps before this are rejected as implausible."""

MAX_ID_LENGTH = 64
"""An identifier longer than this is rejected."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    required: bool = True
    """A value must be present (not null, not blank). A column that is not required may also be missing
    from a file (or from a table an EL tool loaded); it then lands as null."""
    allowed_seed: tuple[str, str] | None = None
    """For enums: (seed file, column) listing the accepted values."""
    personal: bool = False
    """Personal data (emails, names): never shown outside raw and staging, so the quarantine
    (marts.fct_rejected_rows, which BI reads) gives its file and row instead of its value."""

    def allowed_values(self) -> tuple[str, ...]:
        if self.allowed_seed is None:
            return ()
        return seed_values(*self.allowed_seed)


@dataclass(frozen=True)
class Entity:
    name: str
    primary_key: str
    columns: tuple[Column, ...]
    description: str
    customer_must_exist: bool = False
    """Rows whose customer_id is not a loaded customer are rejected."""

    @property
    def required_in_file(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@cache
def seed_values(seed: str, column: str) -> tuple[str, ...]:
    """The values of one column of a seed CSV under seeds/."""
    with (SEEDS_DIR / f"{seed}.csv").open(newline="", encoding="utf-8") as handle:
        return tuple(row[column] for row in csv.DictReader(handle))


CUSTOMERS = Entity(
    name="customers",
    primary_key="customer_id",
    description="One row per customer account (a later file may carry a newer version).",
    columns=(
        Column("customer_id", "id", "Customer identifier, unique per account."),
        Column("email", "email", "Contact email; several accounts may share one (guest checkouts).", required=False,
               personal=True),
        Column("name", "string", "Full name (personal data).", required=False, personal=True),
        Column("signup_at", "timestamp", "When the account was created; ISO 8601 with offset, or UTC."),
        Column("country", "string", "ISO 3166-1 alpha-2 country code.", required=False),
        Column("acquisition_channel", "string", "Marketing channel that brought the customer.", required=False),
        Column(
            "updated_at", "timestamp", "When this version of the row was written; the latest wins.", required=False,
        ),
    ),
)

ORDERS = Entity(
    name="orders",
    primary_key="order_id",
    description="One row per order (a later file may carry a newer version, for example a new status).",
    customer_must_exist=True,
    columns=(
        Column("order_id", "id", "Order identifier."),
        Column("customer_id", "id", "The customer who placed the order; must be a loaded customer."),
        Column("ordered_at", "timestamp", "When the order was placed; ISO 8601 with offset, or UTC."),
        Column("status", "enum", "Order status.", allowed_seed=("order_statuses", "order_status")),
        Column("gross_amount", "money", "Order value before discount, in the order currency."),
        Column("discount_amount", "money", "Discount granted, in the order currency; blank means 0.", required=False),
        Column("refunded_amount", "money", "Amount refunded, in the order currency; blank means 0.", required=False),
        Column("currency", "enum", "ISO 4217 currency code.", allowed_seed=("currency_rates", "currency_code")),
        Column("promised_delivery_date", "date", "Delivery date promised at checkout.", required=False),
        Column("actual_delivery_date", "date", "Date the order was delivered; blank if not delivered.", required=False),
        Column(
            "updated_at", "timestamp", "When this version of the row was written; the latest wins.", required=False,
        ),
    ),
)

SURVEY_RESPONSES = Entity(
    name="survey_responses",
    primary_key="response_id",
    description="One row per answer to a 0-10 'how likely are you to recommend us' survey.",
    columns=(
        Column("response_id", "id", "Response identifier."),
        Column("customer_id", "id", "The customer, when the survey tool knows it; may be blank.", required=False),
        Column("email", "email", "Email the respondent gave, used to match when customer_id is blank.", required=False,
               personal=True),
        Column("survey_id", "string", "Which survey was answered.", required=False),
        Column("responded_at", "timestamp", "When the answer was given; ISO 8601 with offset, or UTC."),
        Column("score", "score", "Likelihood to recommend, a whole number from 0 to 10."),
        Column("comment", "string", "Free-text comment.", required=False),
        Column("survey_channel", "string", "Where the survey was shown (email, web, app, ...).", required=False),
    ),
)

SUPPORT_TICKETS = Entity(
    name="support_tickets",
    primary_key="ticket_id",
    description=(
        "Optional. One row per customer-service ticket (a later file may carry a newer version, for example "
        "once it was answered)."
    ),
    customer_must_exist=True,
    columns=(
        Column("ticket_id", "id", "Ticket identifier."),
        Column("customer_id", "id", "The customer who opened the ticket; must be a loaded customer."),
        Column("opened_at", "timestamp", "When the ticket was opened; ISO 8601 with offset, or UTC."),
        Column("first_response_at", "timestamp", "The shop's first reply; blank while unanswered.", required=False),
        Column("resolved_at", "timestamp", "When the ticket was resolved; blank while open.", required=False),
        Column("category", "enum", "What the ticket is about.", allowed_seed=("ticket_categories", "ticket_category")),
        Column(
            "updated_at", "timestamp", "When this version of the row was written; the latest wins.", required=False,
        ),
    ),
)

CAMPAIGN_ASSIGNMENTS = Entity(
    name="campaign_assignments",
    primary_key="assignment_id",
    description="Optional. One row per customer assigned to an arm of a randomised retention campaign.",
    customer_must_exist=True,
    columns=(
        Column("assignment_id", "id", "Assignment identifier."),
        Column("customer_id", "id", "The customer assigned; must be a loaded customer."),
        Column("campaign_id", "string", "Which campaign (one experiment)."),
        Column("arm", "enum", "The randomised arm.", allowed_seed=("campaign_arms", "arm")),
        Column("assigned_at", "timestamp", "When the customer was assigned; ISO 8601 with offset, or UTC."),
    ),
)

ENTITIES: tuple[Entity, ...] = (CUSTOMERS, ORDERS, SURVEY_RESPONSES, SUPPORT_TICKETS, CAMPAIGN_ASSIGNMENTS)
"""In load order: orders, tickets and assignments are checked against the customers loaded before them.
A data directory may leave out any entity's folder: that entity then simply gets no rows."""

ENTITY_BY_NAME = {entity.name: entity for entity in ENTITIES}

FILE_SUFFIXES = {".csv": "csv", ".parquet": "parquet"}


CONTRACT_MACRO = "macros/contract/raw_contract.sql"
"""The contract as a dbt macro, for the check models: written by `dbt_contract_macro`, kept in step by a test."""


def dbt_contract_macro() -> str:
    """The text of macros/contract/raw_contract.sql: `raw_contract()` returns every entity's columns as dbt sees them."""
    lines = [
        "{#-",
        "    GENERATED from scripts/retention_warehouse/ingest/contract.py (the one place the raw contract is",
        "    written) by `make contract`; tests/unit/test_contract.py fails when the two differ.",
        "    raw_contract()[entity] = {primary_key, customer_must_exist, columns: [{name, kind, required,",
        "    personal, allowed_seed, allowed_column, case}]}: an enum's values are those of a seed column,",
        "    compared after upper- or lower-casing as the seed spells them; a personal column's value is never",
        "    shown in the quarantine. The check models (contract_checked) read it.",
        "-#}",
        "{% macro raw_contract() -%}",
        "{{ return({",
    ]
    for entity in ENTITIES:
        lines.append(f"    '{entity.name}': {{")
        lines.append(f"        'primary_key': '{entity.primary_key}',")
        lines.append(f"        'customer_must_exist': {str(entity.customer_must_exist).lower()},")
        lines.append("        'columns': [")
        for c in entity.columns:
            seed, column = c.allowed_seed or (None, None)
            values = c.allowed_values()
            case = "upper" if values and all(v.isupper() for v in values) else "lower"
            allowed = (f"'allowed_seed': '{seed}', 'allowed_column': '{column}', 'case': '{case}'" if seed else
                       "'allowed_seed': none, 'allowed_column': none, 'case': none")
            lines.append(f"            {{'name': '{c.name}', 'kind': '{c.kind}', 'required': {str(c.required).lower()}, "
                         f"'personal': {str(c.personal).lower()}, {allowed}}},")
        lines.append("        ],")
        lines.append("    },")
    lines += ["}) }}", "{%- endmacro %}", "",
              "{% macro raw_contract_limits() -%}",
              f"{{{{ return({{'max_amount': {MAX_AMOUNT}, 'earliest_timestamp': '{EARLIEST_TIMESTAMP}', "
              f"'max_id_length': {MAX_ID_LENGTH}}}) }}}}",
              "{%- endmacro %}", ""]
    return "\n".join(lines)


def markdown_tables() -> str:
    """The contract as Markdown tables, as docs/data-contract.md shows it (a test keeps the two in step)."""
    kinds = {"id": "text id", "string": "text", "email": "email", "timestamp": "timestamp", "date": "date",
             "money": "decimal, 2 places", "score": "whole number 0-10", "enum": "code"}
    lines: list[str] = []
    for entity in ENTITIES:
        lines += [f"#### `{entity.name}/`: {entity.description}", "",
                  "| column | type | required | notes |", "|---|---|---|---|"]
        for c in entity.columns:
            required = "yes" if c.required else "no"
            if not c.required:
                required += " (column may be absent)"
            notes = c.description
            if c.allowed_values():
                notes += " One of " + ", ".join(f"`{v}`" for v in c.allowed_values()) + "."
            lines.append(f"| `{c.name}` | {kinds[c.kind]} | {required} | {notes} |")
        lines.append("")
    return "\n".join(lines)

{#-
    GENERATED from scripts/retention_warehouse/ingest/contract.py (the one place the raw contract is
    written) by `make contract`; tests/unit/test_contract.py fails when the two differ.
    raw_contract()[entity] = {primary_key, customer_must_exist, columns: [{name, kind, required,
    personal, allowed_seed, allowed_column, case}]}: an enum's values are those of a seed column,
    compared after upper- or lower-casing as the seed spells them; a personal column's value is never
    shown in the quarantine. The check models (contract_checked) read it.
-#}
{% macro raw_contract() -%}
{{ return({
    'customers': {
        'primary_key': 'customer_id',
        'customer_must_exist': false,
        'columns': [
            {'name': 'customer_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'email', 'kind': 'email', 'required': false, 'personal': true, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'name', 'kind': 'string', 'required': false, 'personal': true, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'signup_at', 'kind': 'timestamp', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'country', 'kind': 'string', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'acquisition_channel', 'kind': 'string', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'updated_at', 'kind': 'timestamp', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
        ],
    },
    'orders': {
        'primary_key': 'order_id',
        'customer_must_exist': true,
        'columns': [
            {'name': 'order_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'customer_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'ordered_at', 'kind': 'timestamp', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'status', 'kind': 'enum', 'required': true, 'personal': false, 'allowed_seed': 'order_statuses', 'allowed_column': 'order_status', 'case': 'lower'},
            {'name': 'gross_amount', 'kind': 'money', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'discount_amount', 'kind': 'money', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'refunded_amount', 'kind': 'money', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'currency', 'kind': 'enum', 'required': true, 'personal': false, 'allowed_seed': 'currency_rates', 'allowed_column': 'currency_code', 'case': 'upper'},
            {'name': 'promised_delivery_date', 'kind': 'date', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'actual_delivery_date', 'kind': 'date', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'updated_at', 'kind': 'timestamp', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
        ],
    },
    'survey_responses': {
        'primary_key': 'response_id',
        'customer_must_exist': false,
        'columns': [
            {'name': 'response_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'customer_id', 'kind': 'id', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'email', 'kind': 'email', 'required': false, 'personal': true, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'survey_id', 'kind': 'string', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'responded_at', 'kind': 'timestamp', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'score', 'kind': 'score', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'comment', 'kind': 'string', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'survey_channel', 'kind': 'string', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
        ],
    },
    'support_tickets': {
        'primary_key': 'ticket_id',
        'customer_must_exist': true,
        'columns': [
            {'name': 'ticket_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'customer_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'opened_at', 'kind': 'timestamp', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'first_response_at', 'kind': 'timestamp', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'resolved_at', 'kind': 'timestamp', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'category', 'kind': 'enum', 'required': true, 'personal': false, 'allowed_seed': 'ticket_categories', 'allowed_column': 'ticket_category', 'case': 'lower'},
            {'name': 'updated_at', 'kind': 'timestamp', 'required': false, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
        ],
    },
    'campaign_assignments': {
        'primary_key': 'assignment_id',
        'customer_must_exist': true,
        'columns': [
            {'name': 'assignment_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'customer_id', 'kind': 'id', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'campaign_id', 'kind': 'string', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
            {'name': 'arm', 'kind': 'enum', 'required': true, 'personal': false, 'allowed_seed': 'campaign_arms', 'allowed_column': 'arm', 'case': 'lower'},
            {'name': 'assigned_at', 'kind': 'timestamp', 'required': true, 'personal': false, 'allowed_seed': none, 'allowed_column': none, 'case': none},
        ],
    },
}) }}
{%- endmacro %}

{% macro raw_contract_limits() -%}
{{ return({'max_amount': 1000000, 'earliest_timestamp': '1990-01-01', 'max_id_length': 64}) }}
{%- endmacro %}

{#-
    A salted SHA-256 of a personal value (hex), so marts can join on it without holding it.
    The salt comes from the environment variable WAREHOUSE_PII_SALT; keep it secret in production.
-#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii', 'retention_warehouse')(column)) }}
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    case when {{ column }} is not null then
        sha256({{ dbt.concat(["'" ~ env_var('WAREHOUSE_PII_SALT', 'retention-warehouse-demo-salt') ~ "'", column]) }})
    end
{%- endmacro %}

{% macro postgres__hash_pii(column) -%}
    case when {{ column }} is not null then
        encode(sha256(convert_to(
            {{ dbt.concat(["'" ~ env_var('WAREHOUSE_PII_SALT', 'retention-warehouse-demo-salt') ~ "'", column]) }},
            'UTF8'
        )), 'hex')
    end
{%- endmacro %}

{% macro spark__hash_pii(column) -%}
    case when {{ column }} is not null then
        sha2({{ dbt.concat(["'" ~ env_var('WAREHOUSE_PII_SALT', 'retention-warehouse-demo-salt') ~ "'", column]) }}, 256)
    end
{%- endmacro %}

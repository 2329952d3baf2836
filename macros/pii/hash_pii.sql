{#-
    A salted SHA-256 of a personal value (hex), so marts can join on it without holding it.
    The salt is the environment variable WAREHOUSE_PII_SALT (macro pii_salt); keep it secret.
-#}
{% macro hash_pii(column) -%}
    {{ return(adapter.dispatch('hash_pii', 'retention_warehouse')(column)) }}
{%- endmacro %}

{% macro default__hash_pii(column) -%}
    case when {{ column }} is not null then
        sha256({{ dbt.concat(["'" ~ pii_salt() ~ "'", column]) }})
    end
{%- endmacro %}

{% macro postgres__hash_pii(column) -%}
    case when {{ column }} is not null then
        encode(sha256(convert_to(
            {{ dbt.concat(["'" ~ pii_salt() ~ "'", column]) }},
            'UTF8'
        )), 'hex')
    end
{%- endmacro %}

{% macro spark__hash_pii(column) -%}
    case when {{ column }} is not null then
        sha2({{ dbt.concat(["'" ~ pii_salt() ~ "'", column]) }}, 256)
    end
{%- endmacro %}

{#- The salt: WAREHOUSE_PII_SALT, or the public demo salt when it is unset (which require_own_pii_salt
    allows for the generated demo data only). A single quote in the salt is refused: it would end
    the SQL literal it is written into. -#}
{% macro pii_salt() -%}
    {%- set salt = env_var('WAREHOUSE_PII_SALT', '') -%}
    {%- if "'" in salt or "\\" in salt -%}
        {{ exceptions.raise_compiler_error("WAREHOUSE_PII_SALT must not contain a quote or a backslash") }}
    {%- endif -%}
    {{ return(salt if salt else 'retention-warehouse-demo-salt') }}
{%- endmacro %}

{#- An email at a domain reserved for examples (RFC 2606, RFC 6761): what the demo data uses. -#}
{% macro is_demo_email(column) -%}
    (lower({{ column }}) like '%@example.com' or lower({{ column }}) like '%@example.net'
        or lower({{ column }}) like '%@example.org' or lower({{ column }}) like '%.example'
        or lower({{ column }}) like '%.test' or lower({{ column }}) like '%.invalid')
{%- endmacro %}

{#- A pre-hook of every model that hashes emails: with WAREHOUSE_PII_SALT unset, the build fails
    before it hashes a single real address with the public demo salt (anyone could recompute those
    hashes from a list of emails). Emails at the reserved example domains, as the generated demo
    data has, may use the demo salt. Renders no SQL. -#}
{% macro require_own_pii_salt(customers) -%}
    {%- if execute and not env_var('WAREHOUSE_PII_SALT', '') -%}
        {%- set found = run_query(
            "select count(*) from " ~ customers ~ " where email is not null and not " ~ is_demo_email('email')
        ).columns[0].values()[0] -%}
        {%- if found > 0 -%}
            {{ exceptions.raise_compiler_error(
                "WAREHOUSE_PII_SALT is not set: refusing to hash " ~ found ~ " customer emails of " ~ customers
                ~ " with the public demo salt, which is only for the generated demo data (emails at example.com)."
                ~ " Set WAREHOUSE_PII_SALT to a long random secret of your own, the same for every build whose"
                ~ " email hashes must match (docs/reliability.md, Privacy)."
            ) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
    The retention definitions, each written once. See the docs blocks of the same names.
-#}

{#- True when a customer whose last counted order was on last_order_date is a customer at at_date. -#}
{% macro is_customer_at(last_order_date, at_date) -%}
    (
        {{ last_order_date }} is not null
        and {{ last_order_date }} <= {{ at_date }}
        and {{ dbt.datediff(last_order_date, at_date, 'day') }} < {{ active_window_days() }}
    )
{%- endmacro %}

{#- The active window in days (var active_window_days), refused when shorter than a month:
    a new customer must still be a customer at the end of the month they first ordered in. -#}
{% macro active_window_days() -%}
    {{ int_var('active_window_days', 31) }}
{%- endmacro %}

{#- Customer retention rate in percent: CRR = (E - N) / S * 100. -#}
{% macro crr_pct(customers_at_end, new_customers, customers_at_start) -%}
    ({{ safe_ratio('(' ~ customers_at_end ~ ' - ' ~ new_customers ~ ')', customers_at_start) }} * 100)
{%- endmacro %}

{#- Churn rate in percent: customers lost during the period / S * 100. -#}
{% macro churn_rate_pct(churned_customers, customers_at_start) -%}
    ({{ safe_ratio(churned_customers, customers_at_start) }} * 100)
{%- endmacro %}

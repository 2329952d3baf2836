{#-
    Lifecycle status of a customer at a date, the rules of the docs block `lifecycle_status`
    written once (first match wins). The dates are the customer's first and last counted order
    and last reactivation order on or before at_date; all null for a customer who never ordered.
-#}
{% macro lifecycle_status(first_order_date, last_order_date, last_reactivation_date, at_date) -%}
    case
        when {{ first_order_date }} is null then 'never_purchased'
        when not {{ is_customer_at(last_order_date, at_date) }} then 'churned'
        when {{ dbt.datediff(first_order_date, at_date, 'day') }} < {{ var('new_customer_days') }} then 'new'
        when {{ dbt.datediff(last_reactivation_date, at_date, 'day') }} < {{ var('new_customer_days') }}
            then 'reactivated'
        when {{ dbt.datediff(last_order_date, at_date, 'day') }} < {{ var('at_risk_after_days') }} then 'active'
        else 'at_risk'
    end
{%- endmacro %}

{#- True for a counted order that came after a lapse: the customer was no longer a customer
    on its date (previous counted order at least the active window before). -#}
{% macro is_reactivation_order(previous_order_date, order_date) -%}
    (
        {{ previous_order_date }} is not null
        and not {{ is_customer_at(previous_order_date, order_date) }}
    )
{%- endmacro %}

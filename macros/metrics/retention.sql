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

{#- The cohort rates (docs blocks `retention_rate`, `net_revenue_retention`, `gross_revenue_retention`),
    each one ratio whether the arguments are one cohort's month (fct_cohort_retention) or sums over the
    cohorts observed that many months since their first order (fct_retention_curve, the pooled curve):
    pooling divides the summed numerators by the summed denominators, never averages the rates. -#}

{#- Active customers / cohort customers, 0 to 1; null when there are no cohort customers. -#}
{% macro retention_rate(active_customers, cohort_customers) -%}
    {{ safe_ratio(active_customers, cohort_customers) }}
{%- endmacro %}

{#- Net revenue in the month / net revenue in month 0 (expansion included); null when month 0 had none. -#}
{% macro net_revenue_retention_rate(net_revenue, first_month_net_revenue) -%}
    {{ safe_ratio(net_revenue, first_month_net_revenue) }}
{%- endmacro %}

{#- Revenue kept of month 0, each customer capped at their own month-0 revenue / net revenue in month 0,
    0 to 1; null when month 0 had none. -#}
{% macro gross_revenue_retention_rate(retained_revenue_capped, first_month_net_revenue) -%}
    {{ safe_ratio(retained_revenue_capped, first_month_net_revenue) }}
{%- endmacro %}

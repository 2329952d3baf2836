{#-
    Customer value definitions, each written once. See the docs blocks of the same names.
-#}

{#- RFM score 1-5 of one measure: 1 + floor(percent_rank * 5), capped at 5. Customers tied on the
    measure share the score of the lowest position of their tie, so equal customers never land in
    different quintiles. order_by puts the best customers last (for recency: most recent last). -#}
{% macro rfm_score(order_by) -%}
    cast(least(5, 1 + floor(percent_rank() over (order by {{ order_by }}) * 5)) as integer)
{%- endmacro %}

{#- Historic CLV = average purchase value x purchase frequency x customer lifespan. -#}
{% macro historic_clv(average_purchase_value, purchase_frequency_per_year, lifespan_years) -%}
    ({{ average_purchase_value }} * {{ purchase_frequency_per_year }} * {{ lifespan_years }})
{%- endmacro %}

{#- Years a customer has been observed for the purchase frequency: from the first counted order to the
    as-of date, at least one year, so a customer seen for a week is not credited 52 orders a year. -#}
{% macro observed_customer_years(first_order_date, as_of_date) -%}
    greatest(
        1.0,
        cast({{ dbt.datediff(first_order_date, as_of_date, 'day') }} as {{ type_double() }}) / 365.25
    )
{%- endmacro %}

{#- Expected customer lifespan in years under a constant monthly churn rate c (a fraction):
    a geometric lifetime lasts 1 / c months on average. Null when nobody churned. -#}
{% macro lifespan_years(churned_customers, customers_at_start) -%}
    ({{ safe_ratio(customers_at_start, churned_customers) }} / 12)
{%- endmacro %}

{#- The backtest's holdout end: var clv_holdout_end_date, else the as-of date. -#}
{% macro clv_holdout_end_date(as_of_date) -%}
    {%- if var('clv_holdout_end_date', none) -%}
        cast('{{ var("clv_holdout_end_date") }}' as date)
    {%- else -%}
        {{ as_of_date }}
    {%- endif -%}
{%- endmacro %}

{#- The backtest's calibration end: var clv_calibration_end_date, else clv_holdout_days before the holdout end. -#}
{% macro clv_calibration_end_date(as_of_date) -%}
    {%- if var('clv_calibration_end_date', none) -%}
        cast('{{ var("clv_calibration_end_date") }}' as date)
    {%- else -%}
        cast({{ dbt.dateadd('day', -(var('clv_holdout_days') | int), clv_holdout_end_date(as_of_date)) }} as date)
    {%- endif -%}
{%- endmacro %}

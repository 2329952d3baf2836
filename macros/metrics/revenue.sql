{#- Net revenue of an order, in its own currency: gross - discount - refunded. See doc `net_revenue`. -#}
{% macro net_revenue(gross_amount, discount_amount, refunded_amount) -%}
    ({{ gross_amount }} - {{ discount_amount }} - {{ refunded_amount }})
{%- endmacro %}

{#- An amount in US dollars, rounded half away from zero to the cent. -#}
{% macro to_usd(amount, usd_per_unit) -%}
    cast(round({{ amount }} * {{ usd_per_unit }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- A floating-point amount rounded half away from zero to the cent, as decimal(18, 2), the same way on
    every engine: through a decimal with 10 places (PostgreSQL has no round(double, places), and engines
    round a binary double at a half cent each their own way). -#}
{% macro round_to_cents(amount) -%}
    cast(round(cast({{ amount }} as decimal(38, 10)), 2) as decimal(18, 2))
{%- endmacro %}

{#-
    The division every rate and average of the project goes through: a double, and null instead of
    a division by zero. Moved here from retention.sql, as NPS, CLV and campaign lift use it too.
-#}

{#- numerator / denominator, null when the denominator is 0 or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

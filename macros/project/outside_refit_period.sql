{#- True where a fit made at `fitted_as_of_date` may not serve a run as of `as_of_date`: after it, or
    in another period of var model_refit_period (python_models/refit.py keeps a fit only within it). -#}
{% macro outside_refit_period(fitted_as_of_date, as_of_date) -%}
    ({{ fitted_as_of_date }} > {{ as_of_date }}
    or {{ dbt.date_trunc(var('model_refit_period'), fitted_as_of_date) }}
    <> {{ dbt.date_trunc(var('model_refit_period'), as_of_date) }})
{%- endmacro %}

{#- Churn-risk definitions, each written once. See the docs blocks of the same names. -#}

{#- high / medium / low from the score and the vars churn_risk_high_threshold, churn_risk_medium_threshold. -#}
{% macro risk_band(score) -%}
    case
        when {{ score }} >= {{ var('churn_risk_high_threshold') }} then 'high'
        when {{ score }} >= {{ var('churn_risk_medium_threshold') }} then 'medium'
        else 'low'
    end
{%- endmacro %}

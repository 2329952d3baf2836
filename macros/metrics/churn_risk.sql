{#- Churn-risk definitions, each written once. See the docs blocks of the same names. -#}

{#- high / medium / low from the score and the vars churn_risk_high_threshold, churn_risk_medium_threshold. -#}
{% macro risk_band(score) -%}
    case
        when {{ score }} >= {{ var('churn_risk_high_threshold') }} then 'high'
        when {{ score }} >= {{ var('churn_risk_medium_threshold') }} then 'medium'
        else 'low'
    end
{%- endmacro %}

{#- A complaint is ignored when no first response came within this many days of opening (var
    complaint_response_days, default 2). See doc `ignored_complaint`. -#}
{% macro complaint_response_days() -%}
    {{ int_var('complaint_response_days', 0, 2) }}
{%- endmacro %}

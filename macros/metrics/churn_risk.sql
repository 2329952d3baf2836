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

{#- The churn model's snapshot dates, one row each (snapshot_purpose, snapshot_date, has_outcome),
    from `reporting_dates` (a relation or CTE with as_of_date). See doc `churn_snapshots`:
    - train: the churn_training_snapshots month ends up to the first day of the as-of month - 2 ×
      churn_outcome_days, so every training outcome ends before the test date and the training dates
      move only when the as-of date reaches a new month (when the fits are due again);
    - test: as-of date - churn_outcome_days; the backtest scores it with the fitted model;
    - current: the as-of date. -#}
{% macro churn_snapshot_dates(reporting_dates) -%}
{%- set outcome_days = var('churn_outcome_days') | int -%}
{%- set training_snapshots = int_var('churn_training_snapshots', 1) | int -%}
{#- the first day of the month after the latest training snapshot -#}
{%- set after_latest = month_start(add_days(month_start('as_of_date'), 1 - 2 * outcome_days)) -%}
    {%- for k in range(training_snapshots) %}
    select
        'train' as snapshot_purpose,
        {{ add_days(add_months(after_latest, -k), -1) }} as snapshot_date,
        true as has_outcome
    from {{ reporting_dates }}
    union all
    {%- endfor %}
    select
        'test' as snapshot_purpose,
        {{ add_days('as_of_date', -outcome_days) }} as snapshot_date,
        true as has_outcome
    from {{ reporting_dates }}
    union all
    select
        'current' as snapshot_purpose,
        as_of_date as snapshot_date,
        false as has_outcome
    from {{ reporting_dates }}
{%- endmacro %}

{#-
    The Net Promoter Score definitions, each written once. See the docs blocks `nps`,
    `nps_margin_of_error` and `nps_dedupe_rule`. Category bands (detractor 0-6, passive 7-8,
    promoter 9-10) live in the seed `nps_categories`, not here.
-#}

{#- NPS from -100 to 100: (promoters - detractors) / responses * 100; null when responses = 0.
    Multiplied before dividing, so that whole-number NPS come out exact (3 / 10 * 100 would be
    30.000000000000004 in floating point). -#}
{% macro nps(promoters, detractors, responses) -%}
    {{ safe_ratio('(' ~ promoters ~ ' - ' ~ detractors ~ ') * 100', responses) }}
{%- endmacro %}

{#- Margin of error of the NPS at 95% confidence, in NPS points:
    1.96 * 100 * sqrt((p + d - (p - d)^2) / n), p and d the promoter and detractor shares,
    n the responses; null when n = 0. p + d - (p - d)^2 is the variance of one response scored
    +1 (promoter), 0 (passive) or -1 (detractor). -#}
{% macro nps_margin_of_error(promoters, detractors, responses) -%}
    {%- set p = safe_ratio(promoters, responses) -%}
    {%- set d = safe_ratio(detractors, responses) -%}
    {%- set variance = '(' ~ p ~ ' + ' ~ d ~ ' - (' ~ p ~ ' - ' ~ d ~ ') * (' ~ p ~ ' - ' ~ d ~ '))' -%}
    (1.96 * 100 * sqrt({{ safe_ratio(variance, responses) }}))
{%- endmacro %}

{#- Two answers by one customer to one survey at most this many days apart are one answer, the
    later wins (var nps_dedupe_window_days, default 2; with 0 only answers given at the same instant
    are merged). -#}
{% macro nps_dedupe_window_days() -%}
    {{ int_var('nps_dedupe_window_days', 0, 2) }}
{%- endmacro %}

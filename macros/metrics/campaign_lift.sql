{#-
    The statistics of a campaign's lift, each written once. See the docs block `campaign_lift`.
    Arguments are column names or simple expressions; p1, p2 are retention rates (0-1), x1, x2
    retained customers and n1, n2 customers of the treatment (1) and control (2) arm. Plain
    arithmetic with sqrt, exp and abs only, so every engine runs it as it is.
-#}

{#- 1.959964: the 97.5% quantile of the standard normal distribution (a two-sided 95% interval). -#}
{% macro z_95() -%}
    1.959963984540054
{%- endmacro %}

{#- Standard error of p1 - p2 without pooling, for the confidence interval:
    sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2); null when an arm has no customers. -#}
{% macro unpooled_standard_error(p1, n1, p2, n2) -%}
    sqrt({{ p1 }} * (1 - {{ p1 }}) / nullif({{ n1 }}, 0) + {{ p2 }} * (1 - {{ p2 }}) / nullif({{ n2 }}, 0))
{%- endmacro %}

{#- z of the pooled two-proportion test of p1 = p2: (p1 - p2) / sqrt(p (1 - p) (1 / n1 + 1 / n2)) with the
    pooled rate p = (x1 + x2) / (n1 + n2); null when an arm is empty or p is 0 or 1 (no variation). -#}
{% macro pooled_z_statistic(x1, n1, x2, n2) -%}
    {%- set p1 = '(cast(' ~ x1 ~ ' as ' ~ type_double() ~ ') / nullif(' ~ n1 ~ ', 0))' -%}
    {%- set p2 = '(cast(' ~ x2 ~ ' as ' ~ type_double() ~ ') / nullif(' ~ n2 ~ ', 0))' -%}
    {%- set p = '(cast(' ~ x1 ~ ' + ' ~ x2 ~ ' as ' ~ type_double() ~ ') / nullif(' ~ n1 ~ ' + ' ~ n2 ~ ', 0))' -%}
    (({{ p1 }} - {{ p2 }}) / nullif(sqrt({{ p }} * (1 - {{ p }}) * (1.0 / nullif({{ n1 }}, 0) + 1.0 / nullif({{ n2 }}, 0))), 0))
{%- endmacro %}

{#- Two-sided p-value of a standard normal z: P(|Z| >= |z|) = erfc(|z| / sqrt(2)). erfc by the
    Chebyshev fit of Numerical Recipes (erfcc, Press et al. 1992, section 6.2): relative error below
    1.2e-7 for every z, so tiny p-values keep their size; capped at 1 (at z = 0 the fit gives
    1 + 3e-8); null for a null z (least() alone would skip it). tests/integration/test_campaign_lift.py checks it
    against scipy. Pass a column (the expression is repeated). sqrt of a double 2, not of the literal 2.0:
    PostgreSQL takes that for a numeric and its square root has 16 digits only, 2 ulps off in the p-value. -#}
{% macro normal_two_sided_p_value(z) -%}
    {%- set x = '(abs(' ~ z ~ ') / sqrt(cast(2 as ' ~ type_double() ~ ')))' -%}
    {%- set t = '(1.0 / (1.0 + 0.5 * ' ~ x ~ '))' -%}
    case when {{ z }} is not null then least(1.0, {{ t }} * exp(
        -{{ x }} * {{ x }} - 1.26551223 + {{ t }} * (1.00002368 + {{ t }} * (0.37409196 + {{ t }} * (0.09678418
        + {{ t }} * (-0.18628806 + {{ t }} * (0.27886807 + {{ t }} * (-1.13520398 + {{ t }} * (1.48851587
        + {{ t }} * (-0.82215223 + {{ t }} * 0.17087277))))))))
    )) end
{%- endmacro %}

{#-
    A whole-number var, refused at compile time when it is below `minimum`: the one place that checks
    the vars counting days or snapshots. `default` is used when the var is not set.
-#}
{% macro int_var(name, minimum, default=none) -%}
    {%- set value = var(name, default) | int -%}
    {%- if value < minimum -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be at least " ~ minimum ~ ", got " ~ value) }}
    {%- endif -%}
    {{ value }}
{%- endmacro %}

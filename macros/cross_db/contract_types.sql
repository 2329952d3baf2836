{#-
    Contract data types are written in PostgreSQL's spelling (`text`, `double precision`,
    `integer`, `decimal(18, 2)`, ...), which DuckDB reads too. dbt checks a contract on Spark by
    casting null to each declared type through dbt.cast (and types unit-test fixtures the same way),
    so Spark's cast translates the names Spark spells differently. DuckDB's `varchar` and `double`
    are translated as well, so a contract written in DuckDB's names still builds on Spark.
-#}
{% macro spark__cast(field, type) -%}
    {%- set spark_names = {'text': 'string', 'varchar': 'string', 'double precision': 'double'} -%}
    cast({{ field }} as {{ spark_names.get(type | trim | lower, type) }})
{%- endmacro %}

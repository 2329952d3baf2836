{#-
    The CLV and churn models are dbt Python models. dbt-duckdb runs them inside `dbt build`;
    dbt-postgres cannot run Python models, and dbt-spark runs them only on Databricks. On those
    targets `warehouse build` runs the same Python (scripts/retention_warehouse/python_models/clv_tables.py, scripts/retention_warehouse/python_models/churn_tables.py)
    through `warehouse fit-models` between two dbt invocations, and that step writes each model's
    table under the model's own name. This materialization stands in for the model in the DAG there:
    it does not run the Python, it checks that the table was written and hands it on, so the model's
    tests and everything downstream run as on DuckDB. The models' YAML picks it per target.
-#}
{% materialization fitted_outside_dbt, default, supported_languages=['python', 'sql'] %}
    {%- set written = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if written is none -%}
        {{ exceptions.raise_compiler_error(
            this ~ " does not exist. On target " ~ target.name ~ " the Python models are fitted outside dbt: "
            ~ "build with `warehouse build --target " ~ target.name ~ "`, or run `warehouse fit-models --target "
            ~ target.name ~ "` after building their inputs (docs/engines.md)."
        ) }}
    {%- endif -%}
    {% call statement('main', fetch_result=True) -%}
        select count(*) as written_rows from {{ written }}
    {%- endcall %}
    {{ return({'relations': [written]}) }}
{% endmaterialization %}

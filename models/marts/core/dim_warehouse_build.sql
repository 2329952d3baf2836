{#-
    One row: the build this warehouse file holds. `warehouse publish` sets environment variable
    WAREHOUSE_BUILD_ID (an environment variable, not a var: dbt then re-parses only this file for a new
    build id, where a new --vars value re-parses the whole project) and publishes the file only when
    every test passed; var build_id still works; a plain `dbt build` uses dbt's invocation id.
-#}
with

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

final as (
    select
        cast(
            '{{ env_var("WAREHOUSE_BUILD_ID", "") or var("build_id", none) or invocation_id }}'
            as {{ dbt.type_string() }}
        ) as build_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as built_at,
        reporting_dates.as_of_date,
        reporting_dates.last_complete_month,
        cast('{{ dbt_version }}' as {{ dbt.type_string() }}) as dbt_version
    from reporting_dates
)

select * from final

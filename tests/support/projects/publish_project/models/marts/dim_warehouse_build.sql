select cast('{{ env_var("WAREHOUSE_BUILD_ID", "") or var("build_id", none) or invocation_id }}' as varchar) as build_id

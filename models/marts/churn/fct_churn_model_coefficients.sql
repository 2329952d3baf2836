with

fitted as (
    select * from {{ ref('int_churn_model_fitted') }}
),

final as (
    select
        cast(fitted.term as {{ dbt.type_string() }}) as term,
        cast(fitted.reason_code as {{ dbt.type_string() }}) as reason_code,
        cast(fitted.coefficient as {{ type_double() }}) as coefficient,
        cast(fitted.standardized_coefficient as {{ type_double() }}) as standardized_coefficient,
        cast(fitted.training_mean as {{ type_double() }}) as training_mean,
        cast(fitted.training_sd as {{ type_double() }}) as training_sd,
        cast(fitted.snapshot_date as date) as training_snapshot_date,
        cast(fitted.training_snapshots as integer) as training_snapshots,
        cast(fitted.customers_trained as integer) as customers_trained,
        cast(fitted.training_sample_share as {{ type_double() }}) as training_sample_share,
        cast(fitted.churn_rate_trained as {{ type_double() }}) as churn_rate_trained,
        cast(fitted.log_likelihood as {{ type_double() }}) as log_likelihood,
        cast(fitted.converged as boolean) as converged,
        cast(fitted.fitted_as_of_date as date) as fitted_as_of_date
    from fitted
)

select * from final

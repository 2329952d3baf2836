with

fitted as (
    select * from {{ ref('int_clv_models_fitted') }}
),

final as (
    select
        cast(fit_purpose as {{ dbt.type_string() }}) as fit_purpose,
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(parameter as {{ dbt.type_string() }}) as parameter,
        cast(value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(calibration_end_date as date) as calibration_end_date,
        cast(holdout_end_date as date) as holdout_end_date,
        cast(time_unit as {{ dbt.type_string() }}) as time_unit,
        cast(time_unit_days as {{ type_double() }}) as time_unit_days,
        cast(customers_fitted as integer) as customers_fitted,
        cast(log_likelihood as {{ type_double() }}) as log_likelihood,
        cast(converged as boolean) as converged,
        cast(fitted_as_of_date as date) as fitted_as_of_date
    from fitted
)

select * from final

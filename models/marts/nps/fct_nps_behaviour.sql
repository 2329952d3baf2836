{#-
    What respondents did after answering, per NPS category and window (90 and 180 days): churn,
    repeat purchase, orders and net revenue in the window. Matched responses only; a response
    counts for a window only when the whole window lies on or before the as-of date. See docs
    block `nps_behaviour_window`.
-#}
with

responses as (
    select * from {{ ref('int_survey_responses_enriched') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

windows as (
    select 90 as window_days
    union all
    select 180 as window_days
),

response_windows as (
    select
        responses.response_id,
        responses.customer_id,
        responses.nps_category,
        responses.responded_at,
        windows.window_days,
        cast({{ dbt.dateadd('day', 'windows.window_days', 'responses.responded_date') }} as date)
        <= reporting_dates.as_of_date as is_window_observed
    from responses
    cross join windows
    cross join reporting_dates
    where responses.is_matched
),

orders_in_window as (
    select
        response_windows.response_id,
        response_windows.window_days,
        count(*) as orders_in_window,
        sum(orders.net_revenue_usd) as net_revenue_usd
    from response_windows
    inner join orders
        on
            response_windows.customer_id = orders.customer_id
            and orders.counts_as_order
            and response_windows.responded_at < orders.ordered_at
            and orders.ordered_at
            <= {{ dbt.dateadd('day', 'response_windows.window_days', 'response_windows.responded_at') }}
    group by response_windows.response_id, response_windows.window_days
),

per_response as (
    select
        response_windows.nps_category,
        response_windows.window_days,
        response_windows.is_window_observed,
        coalesce(orders_in_window.orders_in_window, 0) as orders_in_window,
        coalesce(orders_in_window.net_revenue_usd, 0) as net_revenue_usd
    from response_windows
    left join orders_in_window
        on
            response_windows.response_id = orders_in_window.response_id
            and response_windows.window_days = orders_in_window.window_days
),

per_category as (
    select
        nps_category,
        window_days,
        count(*) as respondents,
        sum(case when is_window_observed then 1 else 0 end) as respondents_observed,
        sum(case when is_window_observed and orders_in_window = 0 then 1 else 0 end) as churned,
        sum(case when is_window_observed then orders_in_window else 0 end) as orders_in_window,
        sum(case when is_window_observed then net_revenue_usd else 0 end) as net_revenue_usd
    from per_response
    group by nps_category, window_days
),

final as (
    select
        cast(nps_category as {{ dbt.type_string() }}) as nps_category,
        cast(window_days as integer) as window_days,
        cast(respondents as integer) as respondents,
        cast(respondents_observed as integer) as respondents_observed,
        cast(churned as integer) as churned,
        {{ safe_ratio('churned', 'respondents_observed') }} as churn_rate,
        {{ safe_ratio('respondents_observed - churned', 'respondents_observed') }} as repeat_purchase_rate,
        {{ safe_ratio('orders_in_window', 'respondents_observed') }} as orders_per_respondent,
        cast(net_revenue_usd as decimal(18, 2)) as net_revenue_usd,
        {{ safe_ratio('net_revenue_usd', 'respondents_observed') }} as net_revenue_per_respondent_usd
    from per_category
)

select * from final

{#-
    One row per kept survey response (duplicates dropped) given on or before the as-of date, with
    its NPS category, the customer's state when answering (counted orders before the answer, days
    since the last one, lifecycle status on the answer date) and the attributes NPS is segmented
    by (int_customer_segments_joined; the RFM segment is the customer's current one, as of the as-of
    date). Customer attributes are null for unmatched responses.
-#}
{#- A table, not a view: several models and tests read it, and at scale a view is recomputed for each. -#}
{{ config(materialized='table') }}

with

responses as (
    select * from {{ ref('int_survey_responses_deduplicated') }}
),

nps_categories as (
    select * from {{ ref('nps_categories') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_joined') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

kept_responses as (
    select
        responses.response_id,
        responses.survey_id,
        responses.survey_channel,
        responses.customer_id,
        responses.is_matched,
        responses.match_method,
        responses.candidate_accounts,
        responses.score,
        responses.responded_at,
        cast(responses.responded_at as date) as responded_date
    from responses
    cross join reporting_dates
    where
        not responses.is_duplicate
        and cast(responses.responded_at as date) <= reporting_dates.as_of_date
),

orders_before_response as (
    select
        kept_responses.response_id,
        orders.order_date,
        lag(orders.order_date) over (
            partition by kept_responses.response_id order by orders.order_date, orders.order_id
        ) as previous_order_date
    from kept_responses
    inner join orders
        on
            kept_responses.customer_id = orders.customer_id
            and orders.counts_as_order
            and kept_responses.responded_at > orders.ordered_at
),

state_at_response as (
    select
        response_id,
        count(*) as orders_before_response,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        max(
            case when {{ is_reactivation_order('previous_order_date', 'order_date') }} then order_date end
        ) as last_reactivation_date
    from orders_before_response
    group by response_id
),

final as (
    select
        kept_responses.response_id,
        kept_responses.survey_id,
        kept_responses.survey_channel,
        kept_responses.customer_id,
        kept_responses.is_matched,
        kept_responses.match_method,
        kept_responses.candidate_accounts,
        kept_responses.score,
        nps_categories.nps_category,
        kept_responses.responded_at,
        kept_responses.responded_date,
        cast({{ dbt.date_trunc('month', 'kept_responses.responded_date') }} as date) as response_month,
        case
            when kept_responses.is_matched then coalesce(state_at_response.orders_before_response, 0)
        end as orders_before_response,
        state_at_response.last_order_date as last_order_date_before_response,
        {{ dbt.datediff('state_at_response.last_order_date', 'kept_responses.responded_date', 'day') }}
            as days_since_last_order,
        case
            when kept_responses.is_matched then {{ lifecycle_status(
                'state_at_response.first_order_date',
                'state_at_response.last_order_date',
                'state_at_response.last_reactivation_date',
                'kept_responses.responded_date'
            ) }}
        end as lifecycle_status_at_response,
        customer_segments.country_code,
        customer_segments.region,
        customer_segments.acquisition_channel,
        customer_segments.cohort_month,
        customer_segments.rfm_segment
    from kept_responses
    left join nps_categories
        on kept_responses.score between nps_categories.min_score and nps_categories.max_score
    left join state_at_response
        on kept_responses.response_id = state_at_response.response_id
    left join customer_segments
        on kept_responses.customer_id = customer_segments.customer_id
)

select * from final

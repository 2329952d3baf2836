{#-
    One row per survey response with the customer account it belongs to: by customer id when the
    survey tool sent a known one, else by email (exact, then without a plus-address tag), else
    unmatched. When an email belongs to several accounts (guest checkouts share emails), the
    account with the latest counted order at or before the answer wins, then the most recently
    signed-up account, then the smallest customer id. See docs block `survey_matching`.
-#}
with

responses as (
    select * from {{ ref('stg_survey__responses') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

matched_by_id as (
    select
        responses.response_id,
        customers.customer_id
    from responses
    inner join customers
        on responses.customer_id = customers.customer_id
),

customer_emails as (
    select
        customer_id,
        email,
        signed_up_at,
        {{ email_match_key('email') }} as email_key
    from customers
    where email is not null
),

unmatched_by_id as (
    select
        responses.response_id,
        responses.responded_at,
        responses.email,
        {{ email_match_key('responses.email') }} as email_key
    from responses
    left join matched_by_id
        on responses.response_id = matched_by_id.response_id
    where matched_by_id.response_id is null
),

email_candidates as (
    select
        unmatched_by_id.response_id,
        unmatched_by_id.responded_at,
        customer_emails.customer_id,
        customer_emails.signed_up_at,
        case when unmatched_by_id.email = customer_emails.email then 1 else 2 end as match_priority
    from unmatched_by_id
    inner join customer_emails
        on unmatched_by_id.email_key = customer_emails.email_key
),

candidates_with_last_order as (
    select
        email_candidates.response_id,
        email_candidates.customer_id,
        email_candidates.signed_up_at,
        email_candidates.match_priority,
        max(orders.ordered_at) as last_ordered_at_before_response
    from email_candidates
    left join orders
        on
            email_candidates.customer_id = orders.customer_id
            and orders.counts_as_order
            and email_candidates.responded_at >= orders.ordered_at
    group by
        email_candidates.response_id,
        email_candidates.customer_id,
        email_candidates.signed_up_at,
        email_candidates.match_priority
),

ranked_candidates as (
    select
        response_id,
        customer_id,
        match_priority,
        count(*) over (partition by response_id) as candidate_accounts,
        row_number() over (
            partition by response_id
            order by
                match_priority asc,
                last_ordered_at_before_response desc nulls last,
                signed_up_at desc,
                customer_id asc
        ) as candidate_rank
    from candidates_with_last_order
),

matched_by_email as (
    select
        response_id,
        customer_id,
        candidate_accounts,
        case when match_priority = 1 then 'email' else 'email_plus_address' end as match_method
    from ranked_candidates
    where candidate_rank = 1
),

final as (
    select
        responses.response_id,
        responses.survey_id,
        responses.survey_channel,
        responses.customer_id as reported_customer_id,
        responses.score,
        responses.responded_at,
        coalesce(matched_by_id.customer_id, matched_by_email.customer_id) as customer_id,
        coalesce(matched_by_id.customer_id, matched_by_email.customer_id) is not null as is_matched,
        case
            when matched_by_id.customer_id is not null then 'customer_id'
            when matched_by_email.customer_id is not null then matched_by_email.match_method
            else 'unmatched'
        end as match_method,
        case
            when matched_by_id.customer_id is not null then 1
            else coalesce(matched_by_email.candidate_accounts, 0)
        end as candidate_accounts
    from responses
    left join matched_by_id
        on responses.response_id = matched_by_id.response_id
    left join matched_by_email
        on responses.response_id = matched_by_email.response_id
)

select * from final

{#-
    One row per survey response with the customer account it belongs to: by customer id when the
    survey tool sent a known one, else by email (exact, then without a plus-address tag), else
    unmatched. When an email belongs to several accounts (guest checkouts share emails), the
    account with the latest counted order at or before the answer wins, then the most recently
    signed-up account, then the smallest customer id. See docs block `survey_matching`.

    Incremental: a response's match depends only on the response itself, the accounts that could
    claim it and their counted orders. A run matches again every response day that holds a
    response loaded since the last build, one of the last incremental_lookback_days days, or a
    response that a changed account could claim or had claimed (an account loaded since, or an
    account sharing its email key with another and with an order loaded since: a new account whose
    email matches, a changed email, a late order that changes which account ordered last). Whole
    days keep the batch right for key-based and partition-overwrite strategies alike. An account that leaves an email another account shares
    changes only the count of candidates of the responses under it: those are found by comparing
    each stored count with the accounts that hold the email key now.
-#}
{{ config(
    materialized='incremental',
    unique_key='response_id',
    incremental_strategy=incremental_strategy(),
    partition_by=incremental_partition_by('responded_date'),
    on_schema_change='fail',
    post_hook="{{ delete_keys_gone_from(ref('stg_survey__responses'), 'response_id') }}",
    meta={'data_tests_read': 'rows built last'},
) }}

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

built as (
    {%- if is_incremental() %}
        select
            max(loaded_at) as last_loaded_at,
            max(responded_date) as last_responded_date
        from {{ this }}
    {%- else %}
        select
            cast(null as {{ dbt.type_timestamp() }}) as last_loaded_at,
            cast(null as date) as last_responded_date
    {%- endif %}
),

dated_responses as (
    select
        response_id,
        survey_id,
        survey_channel,
        customer_id,
        email,
        {{ email_match_key('email') }} as email_key,
        score,
        responded_at,
        cast(responded_at as date) as responded_date,
        loaded_at
    from responses
),

-- every account with its email match key (null without an email), computed once
customer_keys as (
    select
        customer_id,
        email,
        signed_up_at,
        loaded_at,
        {{ email_match_key('email') }} as email_key
    from customers
),

customer_emails as (
    select
        customer_id,
        email,
        signed_up_at,
        email_key
    from customer_keys
    where email is not null
),

accounts_per_email_key as (
    select
        email_key,
        count(*) as account_count
    from customer_emails
    group by email_key
),

changed_customers as (
    select
        customer_keys.customer_id,
        customer_keys.email_key
    from customer_keys
    cross join built
    where customer_keys.loaded_at > built.last_loaded_at
    union
    -- an order decides a match only between accounts that share an email key (the one that
    -- ordered last before the answer wins): an order loaded since changes no other account's match
    select
        customer_keys.customer_id,
        customer_keys.email_key
    from customer_keys
    inner join accounts_per_email_key
        on customer_keys.email_key = accounts_per_email_key.email_key
    inner join orders
        on customer_keys.customer_id = orders.customer_id
    cross join built
    where
        accounts_per_email_key.account_count > 1
        and orders.loaded_at > built.last_loaded_at
),

touched_days as (
    select dated_responses.responded_date
    from dated_responses
    cross join built
    where
        dated_responses.loaded_at > built.last_loaded_at
        or dated_responses.responded_date
        > {{ dbt.dateadd('day', -(incremental_lookback_days() | int), 'built.last_responded_date') }}
        or dated_responses.customer_id in (select changed_customers.customer_id from changed_customers)
        or dated_responses.email_key in (select changed_customers.email_key from changed_customers)
    {%- if is_incremental() %}
        union
        select previously_matched.responded_date
        from {{ this }} as previously_matched
        left join accounts_per_email_key
            on previously_matched.email_key = accounts_per_email_key.email_key
        where
            -- the days of responses a changed account had claimed, wherever their emails point now
            previously_matched.customer_id in (select changed_customers.customer_id from changed_customers)
            -- the old day of a response whose latest version is not the one built (moved to another
            -- day, or its file replaced or removed)
            or not exists (
                select 1
                from dated_responses
                where
                    dated_responses.response_id = previously_matched.response_id
                    and dated_responses.loaded_at is not distinct from previously_matched.loaded_at
            )
            -- the days of responses matched to an account that is gone
            or (
                previously_matched.customer_id is not null
                and not exists (
                    select 1
                    from customer_keys
                    where customer_keys.customer_id = previously_matched.customer_id
                )
            )
            -- the days of responses matched by email to an account that no longer holds the email key
            or (
                previously_matched.match_method in ('email', 'email_plus_address')
                and not exists (
                    select 1
                    from customer_emails
                    where
                        customer_emails.customer_id = previously_matched.customer_id
                        and customer_emails.email_key = previously_matched.email_key
                )
            )
            -- the days of responses not matched by id whose email key is now held by another number
            -- of accounts (none, for an answer left unmatched)
            or (
                previously_matched.match_method <> 'customer_id'
                and previously_matched.candidate_accounts <> coalesce(accounts_per_email_key.account_count, 0)
            )
    {%- endif %}
),

batch as (
    select
        dated_responses.response_id,
        dated_responses.survey_id,
        dated_responses.survey_channel,
        dated_responses.customer_id,
        dated_responses.email,
        dated_responses.email_key,
        dated_responses.score,
        dated_responses.responded_at,
        dated_responses.responded_date,
        dated_responses.loaded_at
    from dated_responses
    cross join built
    where
        built.last_loaded_at is null
        or dated_responses.responded_date in (select touched_days.responded_date from touched_days)
),

matched_by_id as (
    select
        batch.response_id,
        customers.customer_id
    from batch
    inner join customers
        on batch.customer_id = customers.customer_id
),

unmatched_by_id as (
    select
        batch.response_id,
        batch.responded_at,
        batch.email,
        batch.email_key
    from batch
    left join matched_by_id
        on batch.response_id = matched_by_id.response_id
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
        batch.response_id,
        batch.survey_id,
        batch.survey_channel,
        batch.customer_id as reported_customer_id,
        batch.score,
        batch.responded_at,
        batch.responded_date,
        batch.loaded_at,
        batch.email_key,
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
        end as candidate_accounts,
        {{ built_at() }} as built_at
    from batch
    left join matched_by_id
        on batch.response_id = matched_by_id.response_id
    left join matched_by_email
        on batch.response_id = matched_by_email.response_id
)

select * from final

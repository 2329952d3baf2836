{{ config(**contract_checked_config('support_tickets', 'support')) }}

{#- Every raw ticket row once, judged by the contract (macro contract_checked), with the ticket's own rules. -#}
{{ contract_checked(
    'support_tickets',
    source('support', 'support_tickets'),
    version_order='coalesce(updated_at, opened_at)',
    extra_checks=[
        ('first_response_at', 'first_response_at < opened_at', 'first response before the ticket was opened'),
        ('resolved_at', 'resolved_at < opened_at', 'resolved before the ticket was opened'),
    ],
    incremental=is_incremental(),
) }}

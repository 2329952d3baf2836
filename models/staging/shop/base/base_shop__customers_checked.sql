{{ config(**contract_checked_config('customers', 'shop')) }}

{#- Every raw customer row once, judged by the contract (macro contract_checked). -#}
{{ contract_checked(
    'customers',
    source('shop', 'customers'),
    version_order='coalesce(updated_at, signup_at)',
    incremental=is_incremental(),
) }}

{{ config(**contract_checked_config('campaign_assignments', 'crm')) }}

{#- Every raw campaign assignment once, judged by the contract (macro contract_checked). -#}
{{ contract_checked('campaign_assignments', source('crm', 'campaign_assignments'), incremental=is_incremental()) }}

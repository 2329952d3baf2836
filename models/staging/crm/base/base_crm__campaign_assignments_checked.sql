{{ config(materialized='table') }}

{#- Every raw campaign assignment once, judged by the contract (macro contract_checked). -#}
{{ contract_checked('campaign_assignments', source('crm', 'campaign_assignments')) }}

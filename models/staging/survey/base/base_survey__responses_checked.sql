{{ config(**contract_checked_config('survey_responses', 'survey')) }}

{#- Every raw survey answer once, judged by the contract (macro contract_checked). -#}
{{ contract_checked('survey_responses', source('survey', 'survey_responses'), incremental=is_incremental()) }}

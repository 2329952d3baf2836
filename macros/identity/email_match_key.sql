{#-
    The key survey responses are matched to customers on when the customer id does not match:
    the email (already lower-cased and trimmed in staging) without a plus-address tag, i.e.
    everything from the first '+' up to the '@' is dropped: 'ada+nps@example.com' and
    'ada@example.com' give the same key. A local part that starts with '+' is kept whole.
    Applied to both sides (responses and customers). See docs block `survey_matching`.
-#}
{% macro email_match_key(email) -%}
    case
        when {{ email }} like '%+%@%' and {{ email }} not like '+%'
            then {{ dbt.concat([
                dbt.split_part(dbt.split_part(email, "'@'", 1), "'+'", 1),
                "'@'",
                dbt.split_part(email, "'@'", 2)
            ]) }}
        else {{ email }}
    end
{%- endmacro %}

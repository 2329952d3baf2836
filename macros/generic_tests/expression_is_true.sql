{#-
    Fails for every row where the boolean SQL expression is not true (false or null).
    Attach it to a model, or to a column with the column name inside the expression.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}

{#-
    The deduplication rule of every staging model, written once: among rows with the same
    key, the latest version wins, where "latest" means the newest updated_at (when the
    entity has one), then the most recent load, then the later file, then the later row in
    that file. Rank 1 is the row to keep.
-#}
{% macro latest_version_rank(key, updated_at=none) -%}
    row_number() over (
        partition by {{ key }}
        order by
            {% if updated_at is not none -%}
            {{ updated_at }} desc,
            {% endif -%}
            loaded_at desc,
            source_file desc,
            source_row desc
    )
{%- endmacro %}

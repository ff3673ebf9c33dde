{#- Config for a month-level incremental model: a build rewrites the usage months in
    int_usage_months_affected (strategy `replace_affected`, keyed by usage_month), or in
    int_usage_months_repriced for a model that depends on reference data. -#}
{% macro month_incremental_config(repriced=false) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_affected',
        affected_by='int_usage_months_repriced' if repriced else 'int_usage_months_affected',
        affected_keys=['usage_month'],
    ) }}
{%- endmacro %}

{#- A filter keeping the rows of the affected (or repriced) usage months, all rows on a full
    build; nulls (rows without hour_start) match the null month. -#}
{% macro in_affected_months(column, repriced=false) -%}
    {%- set affected = ref('int_usage_months_repriced' if repriced else 'int_usage_months_affected') -%}
    {%- if is_incremental() -%}
    ({{ column }} in (select usage_month from {{ affected }} where usage_month is not null)
        or ({{ column }} is null
            and exists (select 1 from {{ affected }} where usage_month is null)))
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

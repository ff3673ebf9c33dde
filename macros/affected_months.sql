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

{#- A filter keeping the rows of the affected (or repriced) usage months; every row on a full
    build. -#}
{% macro in_affected_months(column, repriced=false) -%}
    {%- set affected = ref('int_usage_months_repriced' if repriced else 'int_usage_months_affected') -%}
    {%- if execute and is_incremental() -%}
        {{ affected_months_condition(column, affected) }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- `column` is one of the months listed in the relation `affected`. The months are read when
    the model (or test) runs and written as constants (dates the warehouse computed, never landed
    text), so DuckDB skips the row groups of every other month; a null month (rows without
    hour_start) matches when it is listed. -#}
{% macro affected_months_condition(column, affected) -%}
    {%- set months = run_query(
        "select distinct strftime(usage_month, '%Y-%m-%d') from " ~ affected
    ).columns[0].values() -%}
    {%- set conditions = [] -%}
    {%- set dates = [] -%}
    {%- for month in months if month is not none -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', month) -%}
            {{ exceptions.raise_compiler_error('unexpected month ' ~ month) }}
        {%- endif -%}
        {%- do dates.append("date '" ~ month ~ "'") -%}
    {%- endfor -%}
    {%- if dates -%}
        {%- do conditions.append(column ~ ' in (' ~ dates | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- if none in months -%}
        {%- do conditions.append(column ~ ' is null') -%}
    {%- endif -%}
    ({{ conditions | join(' or ') if conditions else 'false' }})
{%- endmacro %}

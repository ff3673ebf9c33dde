{#- Incremental strategy `replace_affected`: deletes the target's rows whose keys are in the
    relation named by the model's config `affected_by` (columns `affected_keys`, nulls matching
    nulls), then inserts the model's rows. The model's SQL, when incremental, selects exactly the
    rows of those keys, so the affected part of the table is rewritten whole: a key that now has
    no row loses its stale ones (a plain delete+insert would keep them). With the config
    `affected_months_from` (a relation with a usage_month column holding every month of the
    affected keys), the delete also names those months as constants, so DuckDB reads only their
    row groups instead of the whole history to find the rows to delete. -#}
{% macro get_incremental_replace_affected_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set affected = ref(config.require('affected_by')) -%}
    {%- set keys = config.require('affected_keys') -%}
    {%- set months_from = config.get('affected_months_from') -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    using {{ affected }} as affected_keys
    where
        {%- for key in keys %}
        {{ target }}.{{ adapter.quote(key) }} is not distinct from affected_keys.{{ adapter.quote(key) }}
        {%- if not loop.last %} and{% endif %}
        {%- endfor %}
        {%- if months_from %}
        and {{ affected_months_condition(target ~ '.usage_month', ref(months_from)) }}
        {%- endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{%- endmacro %}

{#- Incremental strategy `replace_affected`: deletes the target's rows whose keys are in the
    relation named by the model's config `affected_by` (columns `affected_keys`, nulls matching
    nulls), then inserts the model's rows. The model's SQL, when incremental, selects exactly the
    rows of those keys, so the affected part of the table is rewritten whole: a key that now has
    no row loses its stale ones (a plain delete+insert would keep them). -#}
{% macro get_incremental_replace_affected_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set affected = ref(config.require('affected_by')) -%}
    {%- set keys = config.require('affected_keys') -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    using {{ affected }} as affected_keys
    where
        {%- for key in keys %}
        {{ target }}.{{ adapter.quote(key) }} is not distinct from affected_keys.{{ adapter.quote(key) }}
        {%- if not loop.last %} and{% endif %}
        {%- endfor %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{%- endmacro %}

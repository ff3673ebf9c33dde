{#- The `where` config of a test, with `__affected_months__` standing for "the usage months this
    build rewrote": a data test on a month-level incremental table then checks the months the
    build wrote, so its cost follows the new data, not the history. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__affected_months__' in where and execute -%}
            {%- set affected = api.Relation.create(
                database=relation.database, schema='intermediate',
                identifier='int_usage_months_affected') -%}
            {%- set where = where | replace(
                '__affected_months__', affected_months_condition('usage_month', affected)) -%}
        {%- elif '__affected_months__' in where -%}
            {%- set where = 'true' -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

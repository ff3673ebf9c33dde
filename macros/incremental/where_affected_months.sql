{#- The `where` config of a test, with `__affected_months__` standing for "the usage months this
    build rewrote" (int_usage_months_affected) and `__repriced_months__` for those of the models
    that depend on reference data (int_usage_months_repriced: also the month being closed): a
    data test on a month-level incremental table then checks the months the build wrote, so its
    cost follows the new data, not the history. `__pending_loads__` stands for "the rows of the
    usage loads this build classifies" (int_usage_loads_pending), for a key test on a table of
    landed rows that only grows by load. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = months_token(where, '__affected_months__', 'int_usage_months_affected', relation) -%}
        {%- set where = months_token(where, '__repriced_months__', 'int_usage_months_repriced', relation) -%}
        {%- set where = pending_loads_token(where, relation) -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#- `where` with `token` replaced by the condition "usage_month is one of the months in the
    relation `months`" (true when dbt only parses). -#}
{% macro months_token(where, token, months, relation) -%}
    {%- if token not in where -%}
        {{ return(where) }}
    {%- elif not execute -%}
        {{ return(where | replace(token, 'true')) }}
    {%- endif -%}
    {%- set listed = api.Relation.create(
        database=relation.database, schema='intermediate', identifier=months) -%}
    {{ return(where | replace(token, affected_months_condition('usage_month', listed))) }}
{%- endmacro %}

{#- `where` with `__pending_loads__` replaced by "load_id is one of the loads no successful
    build has classified yet" (the ids read when the test runs, written as integer constants;
    true when dbt only parses or the list does not exist yet). -#}
{% macro pending_loads_token(where, relation) -%}
    {%- set token = '__pending_loads__' -%}
    {%- if token not in where -%}
        {{ return(where) }}
    {%- elif not execute -%}
        {{ return(where | replace(token, 'true')) }}
    {%- endif -%}
    {%- set pending = api.Relation.create(
        database=relation.database, schema='intermediate', identifier='int_usage_loads_pending') -%}
    {%- if load_relation(pending) is none -%}
        {{ return(where | replace(token, 'true')) }}
    {%- endif -%}
    {%- set ids = [] -%}
    {%- for load_id in run_query('select load_id from ' ~ pending ~ ' order by 1').columns[0].values() -%}
        {%- do ids.append(load_id | int | string) -%}
    {%- endfor -%}
    {{ return(where | replace(token, 'true and (load_id in (' ~ ids | join(', ') ~ '))' if ids else 'false')) }}
{%- endmacro %}

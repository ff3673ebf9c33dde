{#- Creates, when missing, every table that `automq-billing` loads before dbt runs (the sources
    in the landing, ledger and control schemas), with the columns and types their sources
    declare. The sources' YAML is the one home of these shapes: the Python loader reads the same
    file. Runs as an on-run-start hook, so a fresh warehouse builds (empty) without a load. -#}
{% macro create_loaded_tables() -%}
    {%- if execute -%}
        {%- set statements = [] -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if node.columns -%}
                {%- set columns = [] -%}
                {%- for column in node.columns.values() -%}
                    {%- do columns.append(adapter.quote(column.name) ~ ' ' ~ column.data_type) -%}
                {%- endfor -%}
                {%- do statements.append(
                    'create schema if not exists ' ~ adapter.quote(node.schema) ~ '; '
                    ~ 'create table if not exists ' ~ adapter.quote(node.schema) ~ '.'
                    ~ adapter.quote(node.identifier) ~ ' (' ~ columns | join(', ') ~ ');'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {{- statements | join('\n') -}}
    {%- endif -%}
{%- endmacro %}

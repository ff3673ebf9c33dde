{#- Schemas are named by layer (staging, intermediate, marts, reference), not prefixed with the
    target schema, so analysts query `marts.fct_statements` whatever their profile says. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

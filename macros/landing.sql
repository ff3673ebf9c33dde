{#- The landing root as an absolute path: AUTOMQ_BILLING_LANDING (the `automq-billing` command
    always sets it, absolute), else data/landing under the folder dbt was started from. The same
    rule is written into the sources' `landing_root` meta (YAML cannot call macros). -#}
{% macro landing_root() -%}
    {%- set root = env_var('AUTOMQ_BILLING_LANDING', 'data/landing') -%}
    {{- return(root if root.startswith('/') else env_var('PWD', '.') ~ '/' ~ root) -}}
{%- endmacro %}

{#- True when at least one *.parquet file lies below the landing dataset folder. While dbt parses
    (execute is false) it answers true, so the source() call is still seen for the lineage.
    Optional datasets (licences, allocations) use it to stand in an empty, typed relation when
    nothing has landed: read_parquet fails on a glob that matches no file. -#}
{% macro landing_has_files(dataset) -%}
    {%- if not execute -%}
        {{- return(true) -}}
    {%- endif -%}
    {%- set pattern = landing_root() ~ '/' ~ dataset ~ '/**/*.parquet' -%}
    {%- set result = run_query("select count(*) from glob('" ~ pattern.replace("'", "''") ~ "')") -%}
    {{- return(result.columns[0].values()[0] > 0) -}}
{%- endmacro %}

{#- The rows of an optional landing dataset: its source when files have landed, else an empty
    relation with the given column names (staging casts every column to its type anyway). -#}
{% macro optional_landing_source(table_name, columns) -%}
    {%- if landing_has_files(table_name) %}
    select * from {{ source('usage_exports', table_name) }}
    {%- else %}
    select
        {%- for column in columns %}
        null as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}

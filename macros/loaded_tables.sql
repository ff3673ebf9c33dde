{#- Creates, when missing, every table that `automq-billing` loads before dbt runs (the sources
    in the landing, ledger and control schemas), with the columns and types their sources
    declare (in the engine's spelling: column_type). The sources' YAML is the one home of these
    shapes: the Python loader reads the same file. Runs as an on-run-start hook, so a fresh warehouse builds (empty) without a load. -#}
{% macro create_loaded_tables() -%}
    {%- if execute -%}
        {%- set statements = [] -%}
        {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- if node.columns -%}
                {%- set columns = [] -%}
                {%- for column in node.columns.values() -%}
                    {%- do columns.append(adapter.quote(column.name) ~ ' ' ~ column_type(column.data_type)) -%}
                {%- endfor -%}
                {%- do statements.append(
                    'create schema if not exists ' ~ adapter.quote(node.schema) ~ '; '
                    ~ 'create table if not exists ' ~ adapter.quote(node.schema) ~ '.'
                    ~ adapter.quote(node.identifier) ~ ' (' ~ columns | join(', ') ~ ')'
                    ~ loaded_table_options() ~ ';'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {{- run_loaded_table_statements(statements) -}}
    {%- endif -%}
{%- endmacro %}

{#- The statements, as the hook's SQL (DuckDB runs several at once); Spark runs one statement
    per call, so they run here one by one and the hook is a no-op. -#}
{% macro run_loaded_table_statements(statements) -%}
    {{ return(adapter.dispatch('run_loaded_table_statements', 'automq_billing')(statements)) }}
{%- endmacro %}

{% macro default__run_loaded_table_statements(statements) -%}
    {{- statements | join('\n') -}}
{%- endmacro %}

{% macro spark__run_loaded_table_statements(statements) -%}
    {%- for statement in statements -%}
        {%- for part in statement.split(';') if part | trim -%}
            {%- do run_query(part) -%}
        {%- endfor -%}
    {%- endfor -%}
    select 1
{%- endmacro %}

{#- What follows a loaded table's column list: nothing on DuckDB; Parquet files on Spark. -#}
{% macro loaded_table_options() -%}
    {{ return(adapter.dispatch('loaded_table_options', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__loaded_table_options() -%}{%- endmacro %}

{% macro spark__loaded_table_options() -%} using parquet{%- endmacro %}

{#- Any dbt run may change the tables: a close with nothing new must build again after it, so
    every build's recorded inputs are forgotten (control.builds.inputs set to null). -#}
{% macro forget_build_inputs() -%}
    {{ return(adapter.dispatch('forget_build_inputs', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__forget_build_inputs() -%}
    update control.builds set inputs = null where inputs is not null
{%- endmacro %}

{#- Spark's Parquet tables take no UPDATE: the rows are copied with the inputs nulled into a
    scratch table and written back (Spark never overwrites a table a query reads). A hook runs
    one statement on Spark, so the statements run here and the hook itself is a no-op. -#}
{% macro spark__forget_build_inputs() -%}
    {%- if execute -%}
        {%- set builds = adapter.get_relation(database=none, schema='control', identifier='builds') -%}
        {%- if builds is not none -%}
            {%- set changed = run_query(
                'select count(*) from ' ~ builds ~ ' where inputs is not null'
            ).columns[0].values()[0] -%}
            {%- if changed | int > 0 -%}
                {%- set selected = [] -%}
                {%- for column in adapter.get_columns_in_relation(builds) -%}
                    {%- if column.name | lower == 'inputs' -%}
                        {%- do selected.append('cast(null as string) as inputs') -%}
                    {%- else -%}
                        {%- do selected.append(adapter.quote(column.name)) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- set scratch = 'control.builds__inputs_forgotten' -%}
                {%- do run_query('drop table if exists ' ~ scratch) -%}
                {%- do run_query('create table ' ~ scratch ~ ' using parquet as select '
                    ~ selected | join(', ') ~ ' from ' ~ builds) -%}
                {%- do run_query('insert overwrite table ' ~ builds ~ ' select * from ' ~ scratch) -%}
                {%- do run_query('drop table ' ~ scratch) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}

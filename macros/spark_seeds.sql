{#- Seeds on Spark: dbt-spark's session cursor pastes every bound value into the SQL as
    '<value>', unescaped (a seed cell "Queen's Road" ends the literal) and turns decimals into
    floats, and an empty CSV cell (None) would load as the text 'None'. This version of
    dbt-spark's spark__load_csv_rows binds nothing: an empty cell is a typed NULL, every other
    cell is its CSV text as an escaped Spark string literal (backslash and quote escaped with a
    backslash, as Spark's parser reads them) cast to the column's type, so a decimal keeps every
    digit. (DuckDB's loader binds its values and writes NULL already.) -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast('{{ spark__seed_literal_text(value) }}' as {{ type }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{#- A seed cell's text inside a Spark string literal: backslashes doubled, quotes escaped with a
    backslash (Spark reads both as escapes; 'Queen\'s' is Queen's). -#}
{% macro spark__seed_literal_text(value) -%}
    {{- (value | string).replace('\\', '\\\\').replace("'", "\\'") -}}
{%- endmacro %}

{#- The `month` var of an analysis (a value from the dbt command line) as a SQL date literal.
    It must be the first day of a month, YYYY-MM-01; anything else stops the compile, so the
    value never reaches the SQL text unchecked. -#}
{% macro month_var(default) -%}
    {%- set month = var('month', default) | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])-01', month) -%}
        {{ exceptions.raise_compiler_error(
            'var month must be the first day of a month, YYYY-MM-01 (got '
            ~ month[:40] | tojson ~ ')'
        ) }}
    {%- endif -%}
    date '{{ month }}'
{%- endmacro %}

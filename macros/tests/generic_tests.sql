{#- The few generic tests this project needs, written here because the package hub is out of
    reach (no `dbt deps`). Each returns the failing rows. -#}

{#- Every row satisfies a boolean SQL expression. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}

{#- The model has no rows at all (used for lists of problems). -#}
{% test is_empty(model) %}
    select * from {{ model }}
{% endtest %}

{#- Several rules of one model in one query: a close runs one test node per model instead of one
    per rule (each node costs dbt about a tenth of a second however small the table). Every
    failing row names its rule in `failed_check` and shows the offending values in
    `failing_values`. Arguments, each optional:
    - unique: a list of column lists, each combination unique (nulls compare equal);
    - not_null: columns that are never null;
    - accepted_values: {column: [values]}; nulls pass;
    - ranges: {column: {min_value: x, max_value: y}} (either bound optional); nulls pass;
    - expressions: SQL expressions every row satisfies;
    - data_types: {column: declared type}, e.g. DECIMAL(38,2) (contracts do not check a
      decimal's scale);
    - after: a ref() the test waits for and does not read: a staging test on a seed names the
      gate model that checks the same seed (int_*_problems), so a broken seed still builds the
      gate, and the close refuses naming the seed and the problem. -#}
{% test model_checks(
    model,
    unique=[],
    not_null=[],
    accepted_values={},
    ranges={},
    expressions=[],
    data_types={},
    after=none
) %}
    {%- set checks = [] -%}
    {%- for columns in unique -%}
        {%- set listed = columns | join(', ') -%}
        {%- do checks.append(
            "select 'unique (" ~ listed ~ ")' as failed_check, " ~ columns_as_text(listed)
            ~ " as failing_values, count(*) as row_count from checked group by "
            ~ listed ~ " having count(*) > 1"
        ) -%}
    {%- endfor -%}
    {%- if not_null -%}
        {%- set named = [] -%}
        {%- for column in not_null -%}
            {%- do named.append("case when " ~ column ~ " is null then '" ~ column ~ "' end") -%}
        {%- endfor -%}
        {%- do checks.append(
            "select 'not null: ' || concat_ws(', ', " ~ named | join(', ')
            ~ ") as failed_check, " ~ row_as_text('checked') ~ " as failing_values, 1 as row_count"
            ~ " from checked where " ~ (not_null | join(' is null or ')) ~ " is null"
        ) -%}
    {%- endif -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set literals = [] -%}
        {%- for value in values -%}
            {%- set text = (value | string | lower) if value is boolean else (value | string) -%}
            {%- do literals.append("'" ~ (text | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do checks.append(
            "select 'accepted values: " ~ column ~ "' as failed_check, cast(" ~ column
            ~ " as string) as failing_values, count(*) as row_count from checked where "
            ~ column ~ " is not null and cast(" ~ column ~ " as string) not in ("
            ~ literals | join(', ') ~ ") group by " ~ column
        ) -%}
    {%- endfor -%}
    {%- for column, bounds in ranges.items() -%}
        {%- set outside = ['false'] -%}
        {%- if bounds.get('min_value') is not none -%}
            {%- do outside.append(column ~ ' < ' ~ bounds['min_value']) -%}
        {%- endif -%}
        {%- if bounds.get('max_value') is not none -%}
            {%- do outside.append(column ~ ' > ' ~ bounds['max_value']) -%}
        {%- endif -%}
        {%- do checks.append(
            "select 'range: " ~ column ~ " in [" ~ bounds.get('min_value', '') ~ ", "
            ~ bounds.get('max_value', '') ~ "]' as failed_check, " ~ row_as_text('checked') ~ " as"
            ~ " failing_values, 1 as row_count from checked where " ~ column
            ~ " is not null and (" ~ outside | join(' or ') ~ ")"
        ) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- do checks.append(
            "select 'expression: " ~ (expression | replace("'", "''"))
            ~ "' as failed_check, " ~ row_as_text('checked') ~ " as failing_values, 1 as row_count"
            ~ " from checked where not coalesce((" ~ expression ~ "), false)"
        ) -%}
    {%- endfor -%}
    {%- if data_types -%}
        {%- if model is string -%}
            {{ exceptions.raise_compiler_error(
                'model_checks: data_types reads the catalog and takes no `where`; list them in '
                ~ 'a model_checks test of their own') }}
        {%- endif -%}
        {%- do checks.append(data_types_check(model, data_types)) -%}
    {%- endif -%}
    with checked as (
        select * from {{ model }}
    )
    {% for check in checks %}
    {{ 'union all' if not loop.first }}
    ({{ check }})
    {% endfor %}
    {%- if not checks %}
    select null as failed_check, null as failing_values, 0 as row_count where false
    {%- endif %}
{% endtest %}

{#- The model_checks rule `data_types` as one select of failing rows (failed_check,
    failing_values, row_count): the declared types are compared with the catalog's. -#}
{% macro data_types_check(model, data_types) -%}
    {{ return(adapter.dispatch('data_types_check', 'automq_billing')(model, data_types)) }}
{%- endmacro %}

{% macro default__data_types_check(model, data_types) -%}
    {%- set expected = [] -%}
    {%- for column, data_type in data_types.items() -%}
        {%- do expected.append("('" ~ column ~ "', '" ~ data_type ~ "')") -%}
    {%- endfor -%}
{{- return(
        "select 'data type: ' || expected.column_name as failed_check, 'expected '"
        ~ " || expected.data_type || ', got ' || coalesce(actual.data_type, 'no column')"
        ~ " as failing_values, 1 as row_count from (values " ~ expected | join(', ')
        ~ ") as expected (column_name, data_type) left join (select columns.column_name,"
        ~ " columns.data_type from information_schema.columns as columns where"
        ~ " columns.table_catalog = '" ~ model.database ~ "' and columns.table_schema = '"
        ~ model.schema ~ "' and columns.table_name = '" ~ model.identifier
        ~ "') as actual on expected.column_name = actual.column_name where"
        ~ " actual.data_type is null or upper(replace(actual.data_type, ' ', ''))"
        ~ " != upper(replace(expected.data_type, ' ', ''))"
) -}}
{%- endmacro %}

{#- Spark has no information_schema: the columns are read when the test runs and written as
    constants; a declared type is read in Spark's spelling (column_type: VARCHAR is string,
    INTEGER is int). -#}
{% macro spark__data_types_check(model, data_types) -%}
    {%- set actual = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- do actual.update({column.name | lower: column.data_type}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- for column, data_type in data_types.items() -%}
        {%- set got = actual.get(column | lower) -%}
        {%- do rows.append("('" ~ column ~ "', '" ~ column_type(data_type) ~ "', "
            ~ ("'" ~ got ~ "'" if got is not none else 'cast(null as string)') ~ ")") -%}
    {%- endfor -%}
    {{- return(
        "select 'data type: ' || expected.column_name as failed_check, 'expected '"
        ~ " || expected.data_type || ', got ' || coalesce(expected.actual_type, 'no column')"
        ~ " as failing_values, 1 as row_count from (values " ~ rows | join(', ')
        ~ ") as expected (column_name, data_type, actual_type) where expected.actual_type is null"
        ~ " or upper(replace(expected.actual_type, ' ', ''))"
        ~ " != upper(replace(expected.data_type, ' ', ''))"
    ) -}}
{%- endmacro %}

{#- The few generic tests this project needs, written here because the package hub is out of
    reach (no `dbt deps`). Each returns the failing rows. -#}

{#- Every row satisfies a boolean SQL expression. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}

{#- The combination of the columns is unique (nulls compare equal). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Values lie in [min_value, max_value] (either bound optional); nulls pass. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    select *
    from {{ model }}
    where {{ column_name }} is not null
        and (
            false
            {%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
            {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
        )
{% endtest %}

{#- The model has no rows at all (used for lists of problems). -#}
{% test is_empty(model) %}
    select * from {{ model }}
{% endtest %}

{#- The column's declared type is exactly `data_type` (e.g. DECIMAL(38,2)): contracts do not
    check a decimal's scale, this does. -#}
{% test has_data_type(model, column_name, data_type) %}
    select
        columns.table_schema,
        columns.table_name,
        columns.column_name,
        columns.data_type
    from information_schema.columns as columns
    where columns.table_schema = '{{ model.schema }}'
        and columns.table_name = '{{ model.identifier }}'
        and columns.column_name = '{{ column_name }}'
        and upper(replace(columns.data_type, ' ', '')) != upper(replace('{{ data_type }}', ' ', ''))
    union all
    select
        '{{ model.schema }}', '{{ model.identifier }}', '{{ column_name }}', 'column missing'
    where not exists (
        select 1 from information_schema.columns as columns
        where columns.table_schema = '{{ model.schema }}'
            and columns.table_name = '{{ model.identifier }}'
            and columns.column_name = '{{ column_name }}'
    )
{% endtest %}

{#- None of the columns is null (one test for a model's required columns). -#}
{% test not_null_columns(model, columns) %}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}

{#- Each column's declared type is exactly the one given (e.g. DECIMAL(38,2)): contracts do
    not check a decimal's scale, this does, for all of a model's money and quantity columns at
    once. Returns the columns that are missing or of another type. -#}
{% test has_data_types(model, columns) %}
    with expected (column_name, data_type) as (
        values
        {%- for column, data_type in columns.items() %}
        ('{{ column }}', '{{ data_type }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ),

    actual as (
        select columns.column_name, columns.data_type
        from information_schema.columns as columns
        where columns.table_schema = '{{ model.schema }}'
            and columns.table_name = '{{ model.identifier }}'
    )

    select expected.column_name, expected.data_type as expected_type, actual.data_type
    from expected
    left join actual on expected.column_name = actual.column_name
    where actual.data_type is null
        or upper(replace(actual.data_type, ' ', '')) != upper(replace(expected.data_type, ' ', ''))
{% endtest %}

{#- The SQL the two engines of SPEC 11 spell differently (DuckDB, the default; Apache Spark
    through dbt-spark). Every model and macro writes these through the dispatched macros below,
    never in an engine's own spelling: `default__` is DuckDB's, `spark__` Spark's (a session
    whose time zone is UTC and whose ANSI mode is off, see profiles.yml). The unit test
    tests/unit/test_portable_sql.py keeps the DuckDB-only spellings out of the models. -#}

{#- An exact integer wide enough for byte x micro-unit products (DuckDB's HUGEINT, 128 bits;
    Spark has no 128-bit integer: DECIMAL(38, 0)). -#}
{% macro wide_int() -%}
    {{ return(adapter.dispatch('wide_int', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__wide_int() -%}hugeint{%- endmacro %}

{% macro spark__wide_int() -%}decimal(38, 0){%- endmacro %}

{#- The exact sum of an integer column, wide enough for any sum of BIGINTs: DuckDB's sum of a
    BIGINT is already a HUGEINT; Spark's stays a BIGINT and wraps past 2^63 (ANSI mode off), so
    it sums DECIMAL(38, 0). -#}
{% macro wide_sum(expression) -%}
    {{ return(adapter.dispatch('wide_sum', 'automq_billing')(expression)) }}
{%- endmacro %}

{% macro default__wide_sum(expression) -%}sum({{ expression }}){%- endmacro %}

{% macro spark__wide_sum(expression) -%}sum(cast({{ expression }} as decimal(38, 0))){%- endmacro %}

{#- A point in time: DuckDB's TIMESTAMPTZ; Spark's TIMESTAMP is already an instant (shown in
    the session time zone, UTC). -#}
{% macro timestamptz_type() -%}
    {{ return(adapter.dispatch('timestamptz_type', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__timestamptz_type() -%}timestamptz{%- endmacro %}

{% macro spark__timestamptz_type() -%}timestamp{%- endmacro %}

{#- A date and time of day without a time zone (FOCUS's datetimes, UTC by convention, written
    as UTC timestamps by the close): DuckDB's TIMESTAMP; Spark's TIMESTAMP is an instant (read
    back as UTC-aware), its TIMESTAMP_NTZ the same wall-clock value as DuckDB's. A contract
    declares the same type per target (`timestamp_ntz` on Spark). -#}
{% macro wall_timestamp_type() -%}
    {{ return(adapter.dispatch('wall_timestamp_type', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__wall_timestamp_type() -%}timestamp{%- endmacro %}

{% macro spark__wall_timestamp_type() -%}timestamp_ntz{%- endmacro %}

{#- A column type as a source's YAML declares it (DuckDB's names), in the engine's spelling:
    the loaded tables are created with it (create_loaded_tables). -#}
{% macro column_type(data_type) -%}
    {{ return(adapter.dispatch('column_type', 'automq_billing')(data_type)) }}
{%- endmacro %}

{% macro default__column_type(data_type) -%}{{ data_type }}{%- endmacro %}

{% macro spark__column_type(data_type) -%}
    {%- set named = data_type | lower | trim -%}
    {%- set spelled = {
        'varchar': 'string',
        'text': 'string',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
        'integer': 'int',
        'hugeint': 'decimal(38, 0)',
    } -%}
    {{- spelled.get(named, data_type) -}}
{%- endmacro %}

{#- Integer division truncating toward zero (DuckDB's `//` on integers), exact for integers
    of up to 32 digits on Spark (DECIMAL(38, 0): the division is exact once the remainder is
    taken off, so its 6-digit scale rounds nothing). -#}
{% macro int_div(numerator, denominator) -%}
    {{ return(adapter.dispatch('int_div', 'automq_billing')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__int_div(numerator, denominator) -%}
    ({{ numerator }} // {{ denominator }})
{%- endmacro %}

{% macro spark__int_div(numerator, denominator) -%}
    {%- set n = 'cast(' ~ numerator ~ ' as decimal(38, 0))' -%}
    {%- set d = 'cast(' ~ denominator ~ ' as decimal(38, 0))' -%}
    cast(({{ n }} - {{ n }} % {{ d }}) / {{ d }} as decimal(38, 0))
{%- endmacro %}

{#- Whole hours from the TIMESTAMP `start` to the TIMESTAMP `end`. -#}
{% macro hours_between(start, end) -%}
    {{ return(adapter.dispatch('hours_between', 'automq_billing')(start, end)) }}
{%- endmacro %}

{% macro default__hours_between(start, end) -%}
    date_diff('hour', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__hours_between(start, end) -%}
    cast(timestampdiff(HOUR, {{ start }}, {{ end }}) as bigint)
{%- endmacro %}

{#- Whole days from the DATE `start` to the DATE `end`. -#}
{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between', 'automq_billing')(start, end)) }}
{%- endmacro %}

{% macro default__days_between(start, end) -%}
    date_diff('day', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__days_between(start, end) -%}
    cast(datediff({{ end }}, {{ start }}) as bigint)
{%- endmacro %}

{#- Microseconds since 1970-01-01 00:00 UTC of a point in time. -#}
{% macro epoch_micros(instant) -%}
    {{ return(adapter.dispatch('epoch_micros', 'automq_billing')(instant)) }}
{%- endmacro %}

{% macro default__epoch_micros(instant) -%}epoch_us({{ instant }}){%- endmacro %}

{% macro spark__epoch_micros(instant) -%}unix_micros({{ instant }}){%- endmacro %}

{#- A point in time as the UTC wall-clock TIMESTAMP (for date_trunc and casts to DATE). -#}
{% macro utc_wall_clock(instant) -%}
    {{ return(adapter.dispatch('utc_wall_clock', 'automq_billing')(instant)) }}
{%- endmacro %}

{% macro default__utc_wall_clock(instant) -%}({{ instant }} at time zone 'UTC'){%- endmacro %}

{% macro spark__utc_wall_clock(instant) -%}{{ instant }}{%- endmacro %}

{#- The first day of the UTC month of a point in time, as a DATE. -#}
{% macro utc_month(instant) -%}
    cast(date_trunc('month', {{ utc_wall_clock(instant) }}) as date)
{%- endmacro %}

{#- The values of `expression` over a group, sorted and joined with `separator` (distinct ones
    only with `distinct`); null when the group has no non-null value. -#}
{% macro sorted_string_agg(expression, separator, distinct=false) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'automq_billing')(expression, separator, distinct)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expression, separator, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_string_agg(expression, separator, distinct) -%}
    nullif(array_join(array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ expression }})), {{ separator }}), '')
{%- endmacro %}

{#- The row of `relation_alias` (every column but the `exclude`d ones, in order) as one
    comparable value: a null field equals a null field and differs from a value. -#}
{% macro row_value(relation_alias, exclude) -%}
    {{ return(adapter.dispatch('row_value', 'automq_billing')(relation_alias, exclude)) }}
{%- endmacro %}

{% macro default__row_value(relation_alias, exclude) -%}
    row(*columns(* exclude ({{ exclude | join(', ') }})))
{%- endmacro %}

{% macro spark__row_value(relation_alias, exclude) -%}
    struct({{ relation_alias }}.* except ({{ exclude | join(', ') }}))
{%- endmacro %}

{#- The values of the listed columns as one text, for a test's failure message. -#}
{% macro columns_as_text(columns) -%}
    {{ return(adapter.dispatch('columns_as_text', 'automq_billing')(columns)) }}
{%- endmacro %}

{% macro default__columns_as_text(columns) -%}
    cast(row({{ columns }}) as varchar)
{%- endmacro %}

{% macro spark__columns_as_text(columns) -%}
    cast(struct({{ columns }}) as string)
{%- endmacro %}

{#- A whole row of the relation aliased `relation_alias` as one text, for a test's message. -#}
{% macro row_as_text(relation_alias) -%}
    {{ return(adapter.dispatch('row_as_text', 'automq_billing')(relation_alias)) }}
{%- endmacro %}

{% macro default__row_as_text(relation_alias) -%}
    cast({{ relation_alias }} as varchar)
{%- endmacro %}

{% macro spark__row_as_text(relation_alias) -%}
    cast(struct({{ relation_alias }}.*) as string)
{%- endmacro %}

{#- True when `text` matches the regular expression `pattern` (a constant written in this
    project, with single backslashes: Spark reads it as a raw literal). -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'automq_billing')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_matches(text, pattern) -%}
    regexp_like({{ text }}, r'{{ pattern }}')
{%- endmacro %}

{#- The rows of `relation` (a CTE), each repeated once per integer n with
    first <= n < last (columns named in `first`/`last`), n as column `column_name`. -#}
{% macro rows_per_integer(relation, columns, first, last, column_name) -%}
    {{ return(adapter.dispatch('rows_per_integer', 'automq_billing')(relation, columns, first, last, column_name)) }}
{%- endmacro %}

{% macro default__rows_per_integer(relation, columns, first, last, column_name) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        unnest(range({{ relation }}.{{ first }}, {{ relation }}.{{ last }})) as {{ column_name }}
    from {{ relation }}
{%- endmacro %}

{% macro spark__rows_per_integer(relation, columns, first, last, column_name) -%}
    select
        {%- for column in columns %}
        {{ relation }}.{{ column }},
        {%- endfor %}
        numbers.{{ column_name }}
    from {{ relation }}
    lateral view explode(sequence({{ relation }}.{{ first }}, {{ relation }}.{{ last }} - 1)) numbers as {{ column_name }}
    where {{ relation }}.{{ first }} < {{ relation }}.{{ last }}
{%- endmacro %}

{#- The point in time `seconds` after 1970-01-01 00:00 UTC. -#}
{% macro instant_from_epoch_seconds(seconds) -%}
    {{ return(adapter.dispatch('instant_from_epoch_seconds', 'automq_billing')(seconds)) }}
{%- endmacro %}

{% macro default__instant_from_epoch_seconds(seconds) -%}to_timestamp({{ seconds }}){%- endmacro %}

{% macro spark__instant_from_epoch_seconds(seconds) -%}timestamp_seconds({{ seconds }}){%- endmacro %}

{#- A DATE as 'YYYY-MM-DD' text. -#}
{% macro date_text(date_expression) -%}
    {{ return(adapter.dispatch('date_text', 'automq_billing')(date_expression)) }}
{%- endmacro %}

{% macro default__date_text(date_expression) -%}strftime({{ date_expression }}, '%Y-%m-%d'){%- endmacro %}

{% macro spark__date_text(date_expression) -%}date_format({{ date_expression }}, 'yyyy-MM-dd'){%- endmacro %}

{#- A CTE DuckDB computes once for its several readers (`as materialized`); Spark plans it
    as written. Use: `name {{ materialized_cte() }} (`. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}as materialized{%- endmacro %}

{% macro spark__materialized_cte() -%}as{%- endmacro %}

{#- A CTE DuckDB inlines into each reader (`as not materialized`); Spark plans it as written. -#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte', 'automq_billing')()) }}
{%- endmacro %}

{% macro default__inlined_cte() -%}as not materialized{%- endmacro %}

{% macro spark__inlined_cte() -%}as{%- endmacro %}

{#- The number of distinct non-null values of `expression` in the window (a parenthesized
    window specification): Spark has no distinct window aggregate. -#}
{% macro count_distinct_over(expression, window) -%}
    {{ return(adapter.dispatch('count_distinct_over', 'automq_billing')(expression, window)) }}
{%- endmacro %}

{% macro default__count_distinct_over(expression, window) -%}
    count(distinct {{ expression }}) over {{ window }}
{%- endmacro %}

{% macro spark__count_distinct_over(expression, window) -%}
    cast(size(collect_set({{ expression }}) over {{ window }}) as bigint)
{%- endmacro %}

{#- `select <columns>, <month> from <relation>`: each row of `relation` once per month from the
    DATE `first_month` to the DATE `last_month` (both first days of months, inclusive), the
    month as DATE column `column_name`. `columns`: select-list items. -#}
{% macro rows_per_month(relation, columns, first_month, last_month, column_name) -%}
    {{ return(adapter.dispatch('rows_per_month', 'automq_billing')(relation, columns, first_month, last_month, column_name)) }}
{%- endmacro %}

{% macro default__rows_per_month(relation, columns, first_month, last_month, column_name) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        cast(unnest(generate_series(
            cast({{ first_month }} as timestamp),
            cast({{ last_month }} as timestamp),
            interval 1 month
        )) as date) as {{ column_name }}
    from {{ relation }}
{%- endmacro %}

{% macro spark__rows_per_month(relation, columns, first_month, last_month, column_name) -%}
    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        months_listed.{{ column_name }}
    from {{ relation }}
    lateral view explode(sequence(
        cast({{ first_month }} as date), cast({{ last_month }} as date), interval 1 month
    )) months_listed as {{ column_name }}
    where cast({{ first_month }} as date) <= cast({{ last_month }} as date)
{%- endmacro %}

{#- One row per struct, in a select list: `structs` is a list of {field: SQL expression}
    with the fields named in `fields` (in that order). -#}
{% macro unnest_structs(structs, fields) -%}
    {{ return(adapter.dispatch('unnest_structs', 'automq_billing')(structs, fields)) }}
{%- endmacro %}

{% macro default__unnest_structs(structs, fields) -%}
    unnest([
            {%- for struct in structs %}
            {
                {%- for field in fields %}
                {{ field }}: {{ struct[field] }}{{ ',' if not loop.last }}
                {%- endfor %}
            }
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ])
{%- endmacro %}

{% macro spark__unnest_structs(structs, fields) -%}
    explode(array(
            {%- for struct in structs %}
            named_struct(
                {%- for field in fields %}
                '{{ field }}', {{ struct[field] }}{{ ',' if not loop.last }}
                {%- endfor %}
            )
            {%- if not loop.last %},{% endif %}
            {%- endfor %}
        ))
{%- endmacro %}

{#- The value of `expression` on the group's first row in the order of the `order_by` columns
    (ascending; a list of column expressions). -#}
{% macro first_in_order(expression, order_by) -%}
    {{ return(adapter.dispatch('first_in_order', 'automq_billing')(expression, order_by)) }}
{%- endmacro %}

{% macro default__first_in_order(expression, order_by) -%}
    first(
            {{ expression }}
            order by {{ order_by | join(', ') }}
        )
{%- endmacro %}

{% macro spark__first_in_order(expression, order_by) -%}
    min_by({{ expression }}, struct({{ order_by | join(', ') }}))
{%- endmacro %}

{#- The values of `expression` over a group joined with `separator`, in the ascending order of
    the `order_by` expressions (a list). -#}
{% macro ordered_string_agg(expression, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'automq_billing')(expression, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ order_by | join(', ') }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, separator, order_by) -%}
    array_join(transform(array_sort(collect_list(named_struct(
        {%- for key in order_by %}'k{{ loop.index }}', {{ key }}, {% endfor -%}
        'v', {{ expression }}))), x -> x.v), {{ separator }})
{%- endmacro %}

{#- The 1-based position of `expression` in the list of constant strings `values` (null when
    absent). -#}
{% macro position_in(values, expression) -%}
    case {{ expression }}
        {%- for value in values %}
        when '{{ value | replace("'", "''") }}' then {{ loop.index }}
        {%- endfor %}
    end
{%- endmacro %}

{#- True when the whole of `text` matches the regular expression `pattern` (a constant written in
    this project). -#}
{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'automq_billing')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__regex_full_match(text, pattern) -%}
    regexp_like({{ text }}, r'^(?:{{ pattern }})$')
{%- endmacro %}

{#- Every column of the relation aliased `relation_alias` but the listed ones. DuckDB's spelling
    is `* exclude`; Spark's (also read by DuckDB, not by the linter's DuckDB dialect) `* except`. -#}
{% macro star_except(relation_alias, columns) -%}
    {{ return(adapter.dispatch('star_except', 'automq_billing')(relation_alias, columns)) }}
{%- endmacro %}

{% macro default__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(relation_alias, columns) -%}
    {{ relation_alias }}.* except ({{ columns | join(', ') }})
{%- endmacro %}

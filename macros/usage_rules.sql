{#- SQL helpers for the record rules. The vocabularies themselves are vars in dbt_project.yml. -#}

{#- A quoted SQL list of constant strings from the vocabulary (never from landed data). -#}
{% macro sql_list(values) -%}
    ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- A one-column relation of constant strings from the vocabulary. -#}
{% macro values_relation(values, column_name) -%}
    (select * from (values {% for value in values -%}('{{ value | replace("'", "''") }}'){{ ", " if not loop.last }}{%- endfor %}) as listed ({{ column_name }}))
{%- endmacro %}

{#- SPEC 1.1 `invalid_id` (amended): an id that is not empty, does not start or end with
    whitespace (Unicode's: a no-break space counts) and holds no control, format or separator
    character: Unicode categories Cc (C0, DEL, C1), Cf (bidirectional overrides such as U+202E,
    zero-width characters such as U+200B, the byte order mark, the soft hyphen), Zl, Zp, and any
    space other than U+0020 (Zs: U+00A0, U+3000, ...). A look-alike letter (fullwidth, Cyrillic)
    is a different id, not an invalid one. Null ids are `missing_field`, checked before. -#}
{% macro is_valid_id(column) -%}
    ({{ column }} != ''
        and not {{ regex_matches(column, '^[\\s\\pZ]|[\\s\\pZ]$|[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]') }}
        and not {{ regex_matches('replace(' ~ column ~ ", ' ', '')", '\\pZ') }})
{%- endmacro %}

{#- The row's values in every column of the (single) relation selected from, except the
    `exclude`d ones, as one comparable value: whole rows are compared value by value (a null
    equals a null and differs from a value), never through a hash. `relation_alias` names the
    relation (Spark lists its columns through it). -#}
{% macro content_row(exclude, relation_alias) -%}
    {{ row_value(relation_alias, exclude) }}
{%- endmacro %}

{#- True when the rows of the window do not all hold the same value of `column`. -#}
{% macro differs_within(column, window) -%}
    (min({{ column }}) over {{ window }} is distinct from max({{ column }}) over {{ window }})
{%- endmacro %}

{#- The columns of a validated usage row that are not its content (SPEC 1.1's table): its key,
    its load and what the warehouse derived from it. -#}
{% macro usage_row_metadata_columns() -%}
    {{ return(['source_file', 'file_row_number', 'load_id', 'usage_month', 'validation_failure']) }}
{%- endmacro %}


{#- SPEC 9.1 / 10.2: a Marketplace subscription (`subscriptions` alias) overlaps the month that
    starts at `month`: subscribed before the month's end and not unsubscribed before its start.
    The reconciliation's `off_marketplace` and who invoices a charge both read this one rule. -#}
{% macro subscription_overlaps_month(subscriptions, month) -%}
    {{ subscriptions }}.subscribed_at
    < cast({{ month }} + interval 1 month as {{ timestamptz_type() }})
    and (
        {{ subscriptions }}.unsubscribed_at is null
        or {{ subscriptions }}.unsubscribed_at > cast({{ month }} as {{ timestamptz_type() }})
    )
{%- endmacro %}

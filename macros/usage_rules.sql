{#- SQL helpers for the record rules. The vocabularies themselves are vars in dbt_project.yml. -#}

{#- A quoted SQL list of constant strings from the vocabulary (never from landed data). -#}
{% macro sql_list(values) -%}
    ({%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- A one-column relation of constant strings from the vocabulary. -#}
{% macro values_relation(values, column_name) -%}
    (select unnest([{%- for value in values -%}'{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%}]) as {{ column_name }})
{%- endmacro %}

{#- SPEC 1.1 `invalid_id`: an id that is not empty, does not start or end with whitespace and
    holds no control character (C0, DEL or C1); whitespace is
    Unicode's (a no-break space counts). Null ids are `missing_field`, checked before. -#}
{% macro is_valid_id(column) -%}
    ({{ column }} != ''
        and not regexp_matches({{ column }}, '^[\s\pZ]|[\s\pZ]$|[\x00-\x1f\x7f-\x9f]'))
{%- endmacro %}

{#- The row's values in every column of the (single) relation selected from, except the
    `exclude`d ones, as one comparable value: whole rows are compared value by value (a null
    equals a null and differs from a value), never through a hash. -#}
{% macro content_row(exclude) -%}
    row(*columns(* exclude ({{ exclude | join(', ') }})))
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

{#- Config for a month-level incremental model: a build rewrites the usage months in
    int_usage_months_affected, or in int_usage_months_repriced for a model that depends on
    reference data. DuckDB: the strategy `replace_affected`, keyed by usage_month. Spark (plain
    Parquet tables, no Delta or Iceberg: see README): the table is partitioned by usage_month
    and the build overwrites the partitions of the months it writes (insert_overwrite); a
    pre-hook first drops the affected months' partitions, so a month left with no row loses
    its stale ones as it does on DuckDB. -#}
{% macro month_incremental_config(repriced=false) -%}
    {%- set months = 'int_usage_months_repriced' if repriced else 'int_usage_months_affected' -%}
    {{ return(adapter.dispatch('month_incremental_config', 'automq_billing')(months)) }}
{%- endmacro %}

{% macro default__month_incremental_config(months) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_affected',
        affected_by=months,
        affected_keys=['usage_month'],
        affected_months_from=months,
    ) }}
{%- endmacro %}

{% macro spark__month_incremental_config(months) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        file_format='parquet',
        partition_by=['usage_month'],
        affected_months_from=months,
        pre_hook="{{ automq_billing.drop_affected_month_partitions() }}",
    ) }}
{%- endmacro %}

{#- Config for an incremental model keyed by ids (event ids, measurements, loads): DuckDB
    rewrites the rows of the affected keys (`replace_affected`); Spark's Parquet tables cannot
    delete rows, so there the model is a table rebuilt whole. -#}
{% macro keyed_incremental_config(affected_by, affected_keys, affected_months_from=none) -%}
    {{ return(adapter.dispatch('keyed_incremental_config', 'automq_billing')(
        affected_by, affected_keys, affected_months_from)) }}
{%- endmacro %}

{% macro default__keyed_incremental_config(affected_by, affected_keys, affected_months_from) -%}
    {%- if affected_months_from -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_affected',
        affected_by=affected_by,
        affected_keys=affected_keys,
        affected_months_from=affected_months_from,
    ) }}
    {%- else -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_affected',
        affected_by=affected_by,
        affected_keys=affected_keys,
    ) }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__keyed_incremental_config(affected_by, affected_keys, affected_months_from) -%}
    {{ config(materialized='table', file_format='parquet') }}
{%- endmacro %}

{#- Spark pre-hook of a month-level incremental model: drops the partitions of the affected
    months (config affected_months_from) before an incremental build overwrites the months it
    writes. Runs its statements itself (a hook runs one statement); renders nothing. -#}
{% macro drop_affected_month_partitions() -%}
    {%- if execute and is_incremental() -%}
        {%- set affected = ref(config.require('affected_months_from')) -%}
        {%- set months = run_query(
            "select distinct " ~ date_text('usage_month') ~ " from " ~ affected
            ~ " where usage_month is not null"
        ).columns[0].values() -%}
        {%- for month in months -%}
            {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', month) -%}
                {{ exceptions.raise_compiler_error('unexpected month ' ~ month) }}
            {%- endif -%}
            {%- do run_query('alter table ' ~ this ~ " drop if exists partition (usage_month = '"
                ~ month ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- A filter keeping the rows of the affected (or repriced) usage months; every row on a full
    build of an incremental model. `always`: also in a table model that only incremental builds
    read (its months are every month on a full build). -#}
{% macro in_affected_months(column, repriced=false, always=false) -%}
    {%- set affected = ref('int_usage_months_repriced' if repriced else 'int_usage_months_affected') -%}
    {%- if execute and (always or is_incremental()) -%}
        {{ affected_months_condition(column, affected) }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#- `column` is one of the months listed in the relation `affected`. The months are read when
    the model (or test) runs and written as constants (dates the warehouse computed, never landed
    text), so DuckDB skips the row groups of every other month; a null month (rows without
    hour_start) matches when it is listed. Compiled without a build (`dbt compile`, the linter,
    a fresh warehouse), when the relation does not exist yet: true. -#}
{% macro affected_months_condition(column, affected) -%}
    {%- if load_relation(affected) is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set months = run_query(
        "select distinct " ~ date_text('usage_month') ~ " from " ~ affected
    ).columns[0].values() -%}
    {%- set conditions = [] -%}
    {%- set dates = [] -%}
    {%- for month in months if month is not none -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', month) -%}
            {{ exceptions.raise_compiler_error('unexpected month ' ~ month) }}
        {%- endif -%}
        {%- do dates.append("date '" ~ month ~ "'") -%}
    {%- endfor -%}
    {%- if dates -%}
        {%- do conditions.append(column ~ ' in (' ~ dates | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- if none in months -%}
        {%- do conditions.append(column ~ ' is null') -%}
    {%- endif -%}
    {%- if conditions %}
    true and ({{ conditions | join(' or ') }})
    {%- else %}
    false
    {%- endif %}
{%- endmacro %}

{#- True on a `--full-refresh` build (a close runs one whenever the warehouse holds no build of
    this code): every incremental model is rebuilt from every row, so the lists of affected
    event ids and measurements have no reader and are left empty, and every month is affected. -#}
{% macro is_full_refresh() -%}
    {{ return(flags.FULL_REFRESH | default(false, true)) }}
{%- endmacro %}

{#- `column` is the id of a usage load no successful build has classified yet
    (int_usage_loads_pending). The ids are read when the model runs and written as integer
    constants: load ids grow with every load and the rows of a load are stored together, so
    DuckDB reads only the row groups of the new loads, not the history. Compiled without a
    build, when the relation does not exist yet: true. -#}
{% macro in_pending_loads(column) -%}
    {%- set pending = ref('int_usage_loads_pending') -%}
    {%- if execute and load_relation(pending) is not none -%}
        {%- set ids = [] -%}
        {%- for load_id in run_query('select load_id from ' ~ pending ~ ' order by 1').columns[0].values() -%}
            {%- do ids.append(load_id | int | string) -%}
        {%- endfor -%}
        {{ 'true and (' ~ column ~ ' in (' ~ ids | join(', ') ~ '))' if ids else 'false' }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

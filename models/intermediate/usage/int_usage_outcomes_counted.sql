{{ month_incremental_config() }}

{#- One row per usage month (null for rows without hour_start), meter (as landed, null kept),
    outcome and quarantine reason: the number of landed rows and the sum of their quantity. The
    close manifest's conservation counts come from here. -#}
with

classified as (

    select * from {{ ref('int_usage_events_classified') }}
    where {{ in_affected_months('usage_month') }}

),

counted as (

    select
        classified.usage_month,
        classified.meter,
        classified.outcome,
        classified.quarantine_reason,
        count(*) as row_count,
        cast(coalesce({{ wide_sum('classified.quantity') }}, 0) as {{ wide_int() }}) as quantity
    from classified
    group by
        classified.usage_month,
        classified.meter,
        classified.outcome,
        classified.quarantine_reason

),

final as (

    select * from counted

)

select * from final

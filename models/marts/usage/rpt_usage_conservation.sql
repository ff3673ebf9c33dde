{#- One row per usage month and meter (both as landed; null month = rows without hour_start):
    landed rows and quantity counted straight from the landing, beside the same figures split by
    outcome. `is_balanced` states SPEC 1.1's conservation: landed = rated + duplicate +
    superseded + quarantined, for rows and for quantity. -#}
with

usage_events as (

    select * from {{ ref('stg_usage_exports__usage_events') }}

),

outcomes as (

    select * from {{ ref('int_usage_outcomes_counted') }}

),

landed as (

    select
        usage_events.usage_month,
        usage_events.meter,
        count(*) as landed_rows,
        cast(coalesce({{ wide_sum('usage_events.quantity') }}, 0) as {{ wide_int() }})
            as landed_quantity
    from usage_events
    group by usage_events.usage_month, usage_events.meter

),

split as (

    select
        outcomes.usage_month,
        outcomes.meter,
        coalesce(sum(outcomes.row_count) filter (where outcomes.outcome = 'rated'), 0)
            as rated_rows,
        coalesce(sum(outcomes.row_count) filter (where outcomes.outcome = 'duplicate'), 0)
            as duplicate_rows,
        coalesce(sum(outcomes.row_count) filter (where outcomes.outcome = 'superseded'), 0)
            as superseded_rows,
        coalesce(sum(outcomes.row_count) filter (where outcomes.outcome = 'quarantined'), 0)
            as quarantined_rows,
        cast(
            coalesce(sum(outcomes.quantity) filter (where outcomes.outcome = 'rated'), 0)
            as {{ wide_int() }}
        ) as rated_quantity,
        cast(
            coalesce(sum(outcomes.quantity) filter (where outcomes.outcome = 'duplicate'), 0)
            as {{ wide_int() }}
        ) as duplicate_quantity,
        cast(
            coalesce(sum(outcomes.quantity) filter (where outcomes.outcome = 'superseded'), 0)
            as {{ wide_int() }}
        ) as superseded_quantity,
        cast(
            coalesce(sum(outcomes.quantity) filter (where outcomes.outcome = 'quarantined'), 0)
            as {{ wide_int() }}
        ) as quarantined_quantity
    from outcomes
    group by outcomes.usage_month, outcomes.meter

),

final as (

    select
        coalesce(landed.usage_month, split.usage_month) as usage_month,
        coalesce(landed.meter, split.meter) as meter,
        coalesce(landed.landed_rows, 0) as landed_rows,
        coalesce(split.rated_rows, 0) as rated_rows,
        coalesce(split.duplicate_rows, 0) as duplicate_rows,
        coalesce(split.superseded_rows, 0) as superseded_rows,
        coalesce(split.quarantined_rows, 0) as quarantined_rows,
        coalesce(landed.landed_quantity, 0) as landed_quantity,
        coalesce(split.rated_quantity, 0) as rated_quantity,
        coalesce(split.duplicate_quantity, 0) as duplicate_quantity,
        coalesce(split.superseded_quantity, 0) as superseded_quantity,
        coalesce(split.quarantined_quantity, 0) as quarantined_quantity,
        (
            coalesce(landed.landed_rows, 0) = (
                coalesce(split.rated_rows, 0)
                + coalesce(split.duplicate_rows, 0)
                + coalesce(split.superseded_rows, 0)
                + coalesce(split.quarantined_rows, 0)
            )
            and coalesce(landed.landed_quantity, 0) = (
                coalesce(split.rated_quantity, 0)
                + coalesce(split.duplicate_quantity, 0)
                + coalesce(split.superseded_quantity, 0)
                + coalesce(split.quarantined_quantity, 0)
            )
        ) as is_balanced
    from landed
    full outer join split
        on landed.usage_month is not distinct from split.usage_month
        and landed.meter is not distinct from split.meter

)

select * from final

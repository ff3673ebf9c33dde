{{ config(materialized='table') }}

{#- One row per final month F before the month being closed (M) and line key whose re-rating
    differs from F's issued position (SPEC 8): quantity and amount differences (re-rated minus
    issued, 0 for a side that has no line), the unit price and rate card version an adjustment
    carries (the re-rated line's; the issued line's if the line disappeared), whether F lies in
    the correction window (M - L <= F < M, L = var correction_lookback_months) and whether the
    unit price of a line present on both sides changed (the prices of an issued month were
    edited: the close refuses). Empty when no close is running. -#}
with

run_context as (

    select * from {{ ref('stg_control__run_context') }}

),

final_months as (

    select final_months.*
    from {{ ref('stg_ledger__final_months') }} as final_months
    cross join run_context
    where final_months.statement_month < run_context.close_month

),

issued as (

    select * from {{ ref('int_issued_positions') }}

),

rerated as (

    select rated.*
    from {{ ref('int_statement_lines_rated') }} as rated
    semi join final_months
        on rated.statement_month = final_months.statement_month

),

compared as (

    select
        coalesce(rerated.statement_month, issued.issued_month) as adjusted_month,
        coalesce(rerated.organization_id, issued.organization_id) as organization_id,
        coalesce(rerated.billing_item, issued.billing_item) as billing_item,
        coalesce(rerated.tier, issued.tier) as tier,
        coalesce(rerated.cluster_tier, issued.cluster_tier) as cluster_tier,
        coalesce(rerated.license_id, issued.license_id) as license_id,
        coalesce(rerated.quantity, 0) - coalesce(issued.issued_quantity, 0) as quantity,
        coalesce(rerated.amount, 0) - coalesce(issued.issued_amount, 0) as amount,
        coalesce(rerated.unit, issued.first_unit) as unit,
        coalesce(rerated.unit_price, issued.first_unit_price) as unit_price,
        coalesce(rerated.rate_card_version, issued.first_rate_card_version) as rate_card_version,
        rerated.unit_price as rerated_unit_price,
        issued.first_unit_price as issued_unit_price,
        (
            rerated.unit_price is not null
            and issued.first_unit_price is not null
            and rerated.unit_price != issued.first_unit_price
        ) as has_price_change
    from rerated
    full outer join issued
        on rerated.statement_month = issued.issued_month
        and rerated.organization_id = issued.organization_id
        and rerated.billing_item = issued.billing_item
        and rerated.tier is not distinct from issued.tier
        and rerated.cluster_tier is not distinct from issued.cluster_tier
        and rerated.license_id is not distinct from issued.license_id

),

final as (

    select
        run_context.close_month as statement_month,
        compared.*,
        compared.adjusted_month >= cast(
            run_context.close_month
            - interval {{ var('correction_lookback_months') | int }} month as date
        ) as is_in_window
    from compared
    cross join run_context
    where compared.quantity != 0 or compared.amount != 0

)

select * from final

{#- One row per final month before the month being closed (inside the correction window or before
    it), reference seed, item and difference between the reference data the month was issued at
    and the reference data in force for it now (SPEC 8: the reference data that priced an issued
    month never changes). The close refuses while this is not empty, naming the seed, the month and
    the item; a month that became unpriced is refused here, never credited.
    - Rate cards: the rate card the month was issued at (its final version's rate_card.parquet,
      ledger.issued_rate_cards) against the one in force now (dim_rate_cards_monthly): a row
      missing or added, a different unit price, tier mode or tier bounds.
    - List prices: a licence issued at list price (rate_card_version is the list price's
      effective_from, not `contract`) whose list price in force now differs or is gone.
    - Versions closed before rate_card.parquet was published (no row in issued_rate_cards): the
      unit prices of their issued lines against the re-rating (int_statement_corrections_compared)
      and their usage that no rate card prices any more (int_usage_unpriced). -#}
with

run_context as (

    select * from {{ ref('stg_control__run_context') }}

),

final_months as (

    select final_months.statement_month
    from {{ ref('stg_ledger__final_months') }} as final_months
    cross join run_context
    where final_months.statement_month < run_context.close_month

),

issued_rate_cards as (

    select issued_rate_cards.*
    from {{ ref('stg_ledger__issued_rate_cards') }} as issued_rate_cards
    semi join final_months
        on issued_rate_cards.statement_month = final_months.statement_month

),

months_with_rate_card as (

    select distinct issued_rate_cards.statement_month from issued_rate_cards

),

rate_cards_now as (

    select rate_cards_monthly.*
    from {{ ref('dim_rate_cards_monthly') }} as rate_cards_monthly
    semi join months_with_rate_card
        on rate_cards_monthly.usage_month = months_with_rate_card.statement_month

),

issued_positions as (

    select * from {{ ref('int_issued_positions') }}

),

licenses_priced as (

    select * from {{ ref('int_licenses_priced') }}

),

line_price_changes as (

    select corrections_compared.*
    from {{ ref('int_statement_corrections_compared') }} as corrections_compared
    anti join months_with_rate_card
        on corrections_compared.adjusted_month = months_with_rate_card.statement_month
    where corrections_compared.has_price_change

),

usage_unpriced as (

    select usage_unpriced.*
    from {{ ref('int_usage_unpriced') }} as usage_unpriced
    semi join final_months
        on usage_unpriced.usage_month = final_months.statement_month
    anti join months_with_rate_card
        on usage_unpriced.usage_month = months_with_rate_card.statement_month

),

rate_cards_compared as (

    select
        coalesce(issued.statement_month, rate_now.usage_month) as issued_month,
        coalesce(issued.billing_item, rate_now.billing_item) as billing_item,
        coalesce(issued.tier, rate_now.tier) as tier,
        coalesce(issued.cluster_tier, rate_now.cluster_tier) as cluster_tier,
        issued.billing_item is not null as is_issued,
        rate_now.billing_item is not null as is_in_force,
        issued.tier_mode as issued_tier_mode,
        rate_now.tier_mode as current_tier_mode,
        issued.unit_price as issued_unit_price,
        rate_now.unit_price as current_unit_price,
        '[' || cast(issued.lower_bound as string) || ', '
        || coalesce(cast(issued.upper_bound as string), 'unbounded') || ')' as issued_bounds,
        '[' || cast(rate_now.lower_bound as string) || ', '
        || coalesce(cast(rate_now.upper_bound as string), 'unbounded') || ')' as current_bounds,
        issued.rate_card_version as issued_rate_card_version,
        rate_now.rate_card_version as current_rate_card_version
    from issued_rate_cards as issued
    full outer join rate_cards_now as rate_now
        on issued.statement_month = rate_now.usage_month
        and issued.billing_item = rate_now.billing_item
        and issued.tier is not distinct from rate_now.tier
        and issued.cluster_tier is not distinct from rate_now.cluster_tier

),

rate_card_changes as (

    select
        rate_cards_compared.*,
        case
            when not rate_cards_compared.is_in_force then 'price in force'
            when not rate_cards_compared.is_issued then 'tier'
        end as presence_change
    from rate_cards_compared

),

differences as (

    select
        rate_card_changes.issued_month,
        rate_card_changes.billing_item,
        rate_card_changes.tier,
        rate_card_changes.cluster_tier,
        rate_card_changes.presence_change as difference,
        case
            when rate_card_changes.is_issued
                then 'version ' || rate_card_changes.issued_rate_card_version || ' at '
                    || cast(rate_card_changes.issued_unit_price as string)
            else 'none'
        end as issued_value,
        case
            when rate_card_changes.is_in_force
                then 'version ' || rate_card_changes.current_rate_card_version || ' at '
                    || cast(rate_card_changes.current_unit_price as string)
            else 'none in force'
        end as current_value
    from rate_card_changes
    where rate_card_changes.presence_change is not null

    union all

    select
        rate_card_changes.issued_month,
        rate_card_changes.billing_item,
        rate_card_changes.tier,
        rate_card_changes.cluster_tier,
        'unit price' as difference,
        cast(rate_card_changes.issued_unit_price as string) as issued_value,
        cast(rate_card_changes.current_unit_price as string) as current_value
    from rate_card_changes
    where rate_card_changes.presence_change is null
        and rate_card_changes.issued_unit_price != rate_card_changes.current_unit_price

    union all

    select
        rate_card_changes.issued_month,
        rate_card_changes.billing_item,
        rate_card_changes.tier,
        rate_card_changes.cluster_tier,
        'tier mode' as difference,
        coalesce(rate_card_changes.issued_tier_mode, 'none') as issued_value,
        coalesce(rate_card_changes.current_tier_mode, 'none') as current_value
    from rate_card_changes
    where rate_card_changes.presence_change is null
        and rate_card_changes.issued_tier_mode
        is distinct from rate_card_changes.current_tier_mode

    union all

    select
        rate_card_changes.issued_month,
        rate_card_changes.billing_item,
        rate_card_changes.tier,
        rate_card_changes.cluster_tier,
        'tier bounds' as difference,
        rate_card_changes.issued_bounds as issued_value,
        rate_card_changes.current_bounds as current_value
    from rate_card_changes
    where rate_card_changes.presence_change is null
        and rate_card_changes.issued_bounds is distinct from rate_card_changes.current_bounds

    union all

    -- a licence issued at list price: its list price in force now (term, start_date)
    select
        issued_positions.issued_month,
        issued_positions.billing_item,
        cast(null as integer) as tier,
        cast(null as string) as cluster_tier,
        'list price of ' || licenses_priced.term || ' licence ' || issued_positions.license_id
            as difference,
        cast(issued_positions.first_unit_price as string) as issued_value,
        coalesce(cast(licenses_priced.list_price_per_aku as string), 'none in force')
            as current_value
    from issued_positions
    inner join licenses_priced on issued_positions.license_id = licenses_priced.license_id
    where issued_positions.billing_item = 'aku_subscription'
        and issued_positions.first_rate_card_version != 'contract'
        and licenses_priced.negotiated_price_per_aku is null
        and (
            licenses_priced.list_price_per_aku is null
            or licenses_priced.list_price_per_aku != issued_positions.first_unit_price
        )

    union all

    -- versions closed before rate_card.parquet was published: the issued lines' unit prices
    select
        line_price_changes.adjusted_month as issued_month,
        line_price_changes.billing_item,
        line_price_changes.tier,
        line_price_changes.cluster_tier,
        'unit price' as difference,
        cast(line_price_changes.issued_unit_price as string) as issued_value,
        cast(line_price_changes.rerated_unit_price as string) as current_value
    from line_price_changes

    union all

    select
        usage_unpriced.usage_month as issued_month,
        usage_unpriced.billing_item,
        cast(null as integer) as tier,
        usage_unpriced.cluster_tier,
        'price in force' as difference,
        'priced' as issued_value,
        'none in force' as current_value
    from usage_unpriced

),

final as (

    select distinct
        differences.issued_month,
        case
            when differences.billing_item = 'cluster_uptime' then 'rate_card_uptime'
            when differences.billing_item = 'aku_subscription' then 'aku_list_prices'
            else 'rate_card_tiers'
        end as seed_name,
        differences.billing_item,
        differences.tier,
        differences.cluster_tier,
        differences.difference,
        differences.issued_value,
        differences.current_value
    from differences

)

select * from final

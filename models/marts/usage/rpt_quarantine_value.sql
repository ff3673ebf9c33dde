{#- One row per usage month (null: rows without hour_start) and quarantine reason: the rows held
    back and an estimate of the usage value they hold, for the close report. The estimate prices
    the quarantined quantities of usage-based rows at the first tier's unit price of the rate
    card in force for the month (tiers only get cheaper, so it is an upper bound for data items),
    uptime rows as one hour at their cluster tier's price; rows without a meter, a quantity, a
    known tier or a rate card in force are counted with a value of 0. Never billed: a quarantined
    row is corrected by landing a valid restatement. -#}
with

quarantine as (

    select * from {{ ref('fct_usage_quarantine') }}

),

first_tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }} as rate_card_tiers
    where rate_card_tiers.tier = 1

),

uptime_prices as (

    select * from {{ ref('stg_billing_config__rate_card_uptime') }}

),

measured as (

    select
        quarantine.usage_month,
        quarantine.reason,
        {{ billable_item('quarantine.meter') }} as billing_item,
        quarantine.cluster_tier,
        case
            when quarantine.pricing_mode != 'usage_based' or quarantine.quantity is null
                or quarantine.quantity <= 0 then 0
            when quarantine.meter = 'uptime_seconds' then 1
            else quarantine.quantity
        end as measure
    from quarantine

),

priced as (

    select
        measured.usage_month,
        measured.reason,
        case
            when measured.billing_item = 'cluster_uptime'
                then measured.measure * coalesce(uptime_prices.hourly_price, 0)
            when measured.billing_item is not null and measured.usage_month is not null
                then {{ decimal_product(
                    billable_quantity(
                        'measured.billing_item', 'measured.measure', 'measured.usage_month'
                    ),
                    'coalesce(first_tiers.unit_price, 0)'
                ) }}
            else 0
        end as row_value
    from measured
    left join first_tiers
        on measured.billing_item = first_tiers.billing_item
        and {{ in_force('first_tiers', 'measured.usage_month') }}
    left join uptime_prices
        on measured.billing_item = 'cluster_uptime'
        and measured.cluster_tier = uptime_prices.cluster_tier
        and {{ in_force('uptime_prices', 'measured.usage_month') }}

),

final as (

    select
        priced.usage_month,
        priced.reason,
        count(*) as quarantined_rows,
        {{ round2('sum(priced.row_value)') }} as estimated_value
    from priced
    group by priced.usage_month, priced.reason

)

select * from final

{#- One row per line of a final month inside the correction window whose re-rated unit price
    differs from the unit price it was issued with (SPEC 8): the prices of an issued month were
    edited. The close refuses while this is not empty, naming the seed, the month and the item. -#}
with

compared as (

    select * from {{ ref('int_statement_corrections_compared') }} as corrections_compared
    where corrections_compared.is_in_window and corrections_compared.has_price_change

),

final as (

    select
        compared.adjusted_month as issued_month,
        compared.billing_item,
        compared.tier,
        compared.cluster_tier,
        case
            when compared.billing_item = 'cluster_uptime' then 'rate_card_uptime'
            when compared.billing_item = 'aku_subscription' then 'aku_list_prices'
            else 'rate_card_tiers'
        end as seed_name,
        compared.issued_unit_price,
        compared.rerated_unit_price,
        count(distinct compared.organization_id) as organizations
    from compared
    group by all

)

select * from final

{#- One row per problem found in the rate cards; the build fails unless this is empty.
    Checks: tiers contiguous from 0 without gaps or overlaps, numbered 1..n, only the last tier
    unbounded, prices that never rise with the tier, one tier_mode per version and item, a known
    billing item and tier mode, effective_from on the first day of a month, one effective_from per
    version, one version per effective_from, and every version complete (SPEC 2: a version prices
    all three data items, an uptime version all three cluster tiers; a missing item never falls
    back to an older version); for uptime, known cluster tiers and one price per version and
    tier. -#}
with

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

uptime as (

    select * from {{ ref('stg_billing_config__rate_card_uptime') }}

),

tiers_ordered as (

    select
        tiers.*,
        lag(tiers.upper_bound) over tier_window as previous_upper_bound,
        lag(tiers.unit_price) over tier_window as previous_unit_price,
        row_number() over tier_window as tier_position,
        count(*) over (partition by tiers.rate_card_version, tiers.billing_item) as tier_count,
        {{ count_distinct_over(
            'tiers.tier_mode', '(partition by tiers.rate_card_version, tiers.billing_item)'
        ) }} as tier_mode_count,
        {{ count_distinct_over(
            'tiers.effective_from', '(partition by tiers.rate_card_version)'
        ) }} as effective_from_count
    from tiers
    window tier_window as (
        partition by tiers.rate_card_version, tiers.billing_item
        order by tiers.lower_bound, tiers.tier
    )

),

tier_problems as (

    select
        'rate_card_tiers' as seed_name,
        tiers_ordered.rate_card_version,
        tiers_ordered.billing_item as item,
        tiers_ordered.tier,
        case
            when tiers_ordered.billing_item is null
                or tiers_ordered.billing_item not in {{ sql_list(var('data_billing_items')) }}
                then 'unknown billing_item ' || coalesce(tiers_ordered.billing_item, 'null')
            when tiers_ordered.tier_mode is null
                or tiers_ordered.tier_mode not in {{ sql_list(var('tier_modes')) }}
                then 'unknown tier_mode ' || coalesce(tiers_ordered.tier_mode, 'null')
            when tiers_ordered.effective_from is null
                or day(tiers_ordered.effective_from) != 1
                then 'effective_from is not the first day of a month'
            when tiers_ordered.effective_from_count > 1
                then 'one version has several effective_from dates'
            when tiers_ordered.tier_mode_count > 1
                then 'several tier modes in one version and item'
            when (tiers_ordered.tier is distinct from tiers_ordered.tier_position)
                then 'tiers are not numbered 1..n in order of their bounds'
            when tiers_ordered.unit_price is null or tiers_ordered.unit_price < 0
                then 'unit_price missing or negative'
            when tiers_ordered.tier_position = 1 and (tiers_ordered.lower_bound is distinct from 0)
                then 'the first tier does not start at 0'
            when tiers_ordered.tier_position > 1
                and (tiers_ordered.lower_bound is distinct from tiers_ordered.previous_upper_bound)
                then 'gap or overlap with the previous tier'
            when tiers_ordered.upper_bound is not null
                and tiers_ordered.upper_bound <= tiers_ordered.lower_bound
                then 'upper_bound is not above lower_bound'
            when tiers_ordered.tier_position = tiers_ordered.tier_count
                and tiers_ordered.upper_bound is not null
                then 'the last tier is bounded'
            when tiers_ordered.tier_position < tiers_ordered.tier_count
                and tiers_ordered.upper_bound is null
                then 'a tier other than the last is unbounded'
            when tiers_ordered.unit_price > tiers_ordered.previous_unit_price
                then 'unit_price rises from the previous tier'
        end as problem
    from tiers_ordered

),

version_clashes as (

    select
        'rate_card_tiers' as seed_name,
        {{ sorted_string_agg('tiers.rate_card_version', "', '", distinct=true) }}
            as rate_card_version,
        tiers.billing_item as item,
        cast(null as integer) as tier,
        'several versions share effective_from ' || cast(tiers.effective_from as string)
            as problem
    from tiers
    group by tiers.billing_item, tiers.effective_from
    having count(distinct tiers.rate_card_version) > 1

),

tier_versions_incomplete as (

    select
        'rate_card_tiers' as seed_name,
        versions.rate_card_version,
        items.billing_item as item,
        cast(null as integer) as tier,
        'the version does not price ' || items.billing_item as problem
    from (select distinct tiers.rate_card_version from tiers) as versions
    cross join {{ values_relation(var('data_billing_items'), 'billing_item') }} as items
    where
        not exists (
            select 1 from tiers
            where tiers.rate_card_version = versions.rate_card_version
                and tiers.billing_item = items.billing_item
        )

),

uptime_versions_incomplete as (

    select
        'rate_card_uptime' as seed_name,
        versions.rate_card_version,
        cluster_tiers.cluster_tier as item,
        cast(null as integer) as tier,
        'the version does not price cluster tier ' || cluster_tiers.cluster_tier as problem
    from (select distinct uptime.rate_card_version from uptime) as versions
    cross join {{ values_relation(var('cluster_tiers'), 'cluster_tier') }} as cluster_tiers
    where
        not exists (
            select 1 from uptime
            where uptime.rate_card_version = versions.rate_card_version
                and uptime.cluster_tier = cluster_tiers.cluster_tier
        )

),

uptime_problems as (

    select
        'rate_card_uptime' as seed_name,
        uptime.rate_card_version,
        uptime.cluster_tier as item,
        cast(null as integer) as tier,
        case
            when uptime.cluster_tier is null
                or uptime.cluster_tier not in {{ sql_list(var('cluster_tiers')) }}
                then 'unknown cluster_tier ' || coalesce(uptime.cluster_tier, 'null')
            when uptime.effective_from is null or day(uptime.effective_from) != 1
                then 'effective_from is not the first day of a month'
            when uptime.hourly_price is null or uptime.hourly_price < 0
                then 'hourly_price missing or negative'
            when count(*) over (partition by uptime.rate_card_version, uptime.cluster_tier) > 1
                then 'several prices for one version and cluster tier'
            when
                {{ count_distinct_over(
                    'uptime.rate_card_version',
                    '(partition by uptime.cluster_tier, uptime.effective_from)'
                ) }} > 1
                then 'several versions share one effective_from'
        end as problem
    from uptime

),

final as (

    select * from tier_problems
    where tier_problems.problem is not null
    union all
    select * from version_clashes
    union all
    select * from tier_versions_incomplete
    union all
    select * from uptime_problems
    where uptime_problems.problem is not null
    union all
    select * from uptime_versions_incomplete

)

select * from final

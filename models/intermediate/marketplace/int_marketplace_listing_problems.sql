{#- One row per problem found in the Marketplace listing seed (marketplace_dimensions, SPEC 9.1);
    the build fails unless this is empty. A listing version is the set of rows sharing an
    effective_from. Checks, per row: effective_from on the first day of a month, one product_code
    and one product_id per version, a dimension name of 1-255 characters used once per version, a
    known billing item with its unit (billing_unit), a tier (>= 1) on data items and a known
    cluster tier on uptime (and not the other), a price that is present and not negative. Per
    version: every (billing item, tier) of every rate card version in force during the listing
    version, and every cluster tier, has exactly one dimension. A dimension for a tier that no
    rate card in force has is allowed (it is never expected: records sent to it are
    `unexpected` exceptions). -#}
{%- set metered_billing_items = var('meter_billing_items').values() | list %}
with

dimensions as (

    select * from {{ ref('stg_billing_config__marketplace_dimensions') }}

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

dimensions_counted as (

    select
        dimensions.*,
        count(*) over (
            partition by dimensions.effective_from, dimensions.dimension
        ) as name_count,
        {{ count_distinct_over(
            'dimensions.product_code', '(partition by dimensions.effective_from)'
        ) }} as product_code_count,
        {{ count_distinct_over(
            'dimensions.product_id', '(partition by dimensions.effective_from)'
        ) }} as product_id_count
    from dimensions

),

row_problems as (

    select
        'marketplace_dimensions' as seed_name,
        dimensions_counted.effective_from,
        dimensions_counted.dimension,
        dimensions_counted.billing_item,
        dimensions_counted.tier,
        dimensions_counted.cluster_tier,
        case
            when dimensions_counted.effective_from is null
                or day(dimensions_counted.effective_from) != 1
                then 'effective_from is not the first day of a month'
            when dimensions_counted.product_code is null or dimensions_counted.product_id is null
                then 'product_code or product_id missing'
            when dimensions_counted.product_code_count > 1
                then 'several product codes in one listing version'
            when dimensions_counted.product_id_count > 1
                then 'several product ids in one listing version'
            when dimensions_counted.dimension is null
                or length(dimensions_counted.dimension) not between 1 and 255
                then 'the dimension name is not 1-255 characters long'
            when dimensions_counted.name_count > 1
                then 'the dimension name is used more than once in one listing version'
            when dimensions_counted.billing_item is null
                or dimensions_counted.billing_item not in {{ sql_list(metered_billing_items) }}
                then 'unknown billing_item ' || coalesce(dimensions_counted.billing_item, 'null')
            when (
                dimensions_counted.unit is distinct from
                {{ billing_unit('dimensions_counted.billing_item') }}
            )
                then 'unit ' || coalesce(dimensions_counted.unit, 'null') || ' is not the unit of '
                    || dimensions_counted.billing_item
            when dimensions_counted.billing_item = 'cluster_uptime'
                and (
                    dimensions_counted.cluster_tier is null
                    or dimensions_counted.cluster_tier not in {{ sql_list(var('cluster_tiers')) }}
                )
                then 'unknown cluster_tier ' || coalesce(dimensions_counted.cluster_tier, 'null')
            when dimensions_counted.billing_item = 'cluster_uptime'
                and dimensions_counted.tier is not null
                then 'a cluster_uptime dimension has a tier'
            when dimensions_counted.billing_item != 'cluster_uptime'
                and (dimensions_counted.tier is null or dimensions_counted.tier < 1)
                then 'a data item dimension needs a tier of 1 or more'
            when dimensions_counted.billing_item != 'cluster_uptime'
                and dimensions_counted.cluster_tier is not null
                then 'a data item dimension has a cluster_tier'
            when dimensions_counted.price_per_unit is null or dimensions_counted.price_per_unit < 0
                then 'price_per_unit missing or negative'
        end as problem
    from dimensions_counted

),

listing_versions as (

    select distinct
        dimensions.effective_from,
        dimensions.effective_to
    from dimensions
    where dimensions.effective_from is not null

),

required_data_dimensions as (

    select distinct
        listing_versions.effective_from,
        tiers.billing_item,
        tiers.tier,
        cast(null as string) as cluster_tier,
        tiers.rate_card_version
    from listing_versions
    inner join tiers
        on tiers.effective_from < coalesce(listing_versions.effective_to, date '9999-12-31')
        and listing_versions.effective_from < coalesce(tiers.effective_to, date '9999-12-31')

),

required_uptime_dimensions as (

    select
        listing_versions.effective_from,
        'cluster_uptime' as billing_item,
        cast(null as integer) as tier,
        cluster_tiers.cluster_tier,
        cast(null as string) as rate_card_version
    from listing_versions
    cross join {{ values_relation(var('cluster_tiers'), 'cluster_tier') }} as cluster_tiers

),

required_dimensions as (

    select * from required_data_dimensions
    union all
    select * from required_uptime_dimensions

),

coverage as (

    select
        required_dimensions.effective_from,
        required_dimensions.billing_item,
        required_dimensions.tier,
        required_dimensions.cluster_tier,
        required_dimensions.rate_card_version,
        count(dimensions.dimension) as dimension_count,
        {{ sorted_string_agg('dimensions.dimension', "', '") }} as dimension_names
    from required_dimensions
    left join dimensions
        on required_dimensions.effective_from = dimensions.effective_from
        and required_dimensions.billing_item = dimensions.billing_item
        and required_dimensions.tier is not distinct from dimensions.tier
        and required_dimensions.cluster_tier is not distinct from dimensions.cluster_tier
    group by all

),

coverage_problems as (

    select
        'marketplace_dimensions' as seed_name,
        coverage.effective_from,
        coverage.dimension_names as dimension,
        coverage.billing_item,
        coverage.tier,
        coverage.cluster_tier,
        (
            case
                when coverage.dimension_count = 0 then 'no dimension for '
                else 'several dimensions for '
            end
            || coverage.billing_item
            || coalesce(' tier ' || coverage.tier, '')
            || coalesce(' ' || coverage.cluster_tier, '')
            || coalesce(' (rate card ' || coverage.rate_card_version || ' is in force)', '')
        ) as problem
    from coverage
    where coverage.dimension_count != 1

),

final as (

    select * from row_problems
    where row_problems.problem is not null
    union all
    select * from coverage_problems

)

select * from final

{#- One row per problem found in the AKU reference seeds; the build fails unless this is empty.
    aku_list_prices: effective_from on the first day of a month (SPEC 2), a known term, a
    non-negative price, a trial price of 0, one price per term and effective_from.
    aku_capacity_specs: effective_from on the first day of a month (a spec never takes effect
    mid-month), a known combine rule, positive per-AKU rates, 1 <= min_aku <= max_aku, one spec
    per effective_from and per version. -#}
with

list_prices as (

    select * from {{ ref('stg_billing_config__aku_list_prices') }}

),

specs as (

    select * from {{ ref('stg_billing_config__aku_capacity_specs') }}

),

price_problems as (

    select
        'aku_list_prices' as seed_name,
        cast(list_prices.effective_from as string) as version,
        list_prices.term as item,
        case
            when list_prices.effective_from is null then 'effective_from is missing'
            when day(list_prices.effective_from) != 1
                then 'effective_from is not the first day of a month'
            when list_prices.term is null
                or list_prices.term not in {{ sql_list(var('license_terms')) }}
                then 'unknown term ' || coalesce(list_prices.term, 'null')
            when list_prices.price_per_aku is null or list_prices.price_per_aku < 0
                then 'price_per_aku missing or negative'
            when list_prices.term = 'trial' and list_prices.price_per_aku != 0
                then 'the trial list price is not 0'
            when count(*) over (partition by list_prices.term, list_prices.effective_from) > 1
                then 'several prices for one term and effective_from'
        end as problem
    from list_prices

),

spec_problems as (

    select
        'aku_capacity_specs' as seed_name,
        specs.spec_version as version,
        specs.combine as item,
        case
            when specs.spec_version is null or specs.effective_from is null
                then 'spec_version or effective_from is missing'
            when day(specs.effective_from) != 1
                then 'effective_from is not the first day of a month'
            when specs.combine is null
                or specs.combine not in {{ sql_list(var('capacity_combine_rules')) }}
                then 'unknown combine rule ' || coalesce(specs.combine, 'null')
            when
                not (
                    specs.write_micro_mib_per_s_per_aku > 0
                    and specs.read_micro_mib_per_s_per_aku > 0
                )
                then 'per-AKU write and read rates must be positive'
            when specs.min_aku is null or specs.max_aku is null or specs.min_aku < 1
                or specs.max_aku < specs.min_aku
                then 'min_aku and max_aku must satisfy 1 <= min_aku <= max_aku'
            when count(*) over (partition by specs.effective_from) > 1
                then 'several specs share one effective_from'
            when count(*) over (partition by specs.spec_version) > 1
                then 'spec_version is not unique'
        end as problem
    from specs

),

final as (

    select * from price_problems
    where price_problems.problem is not null
    union all
    select * from spec_problems
    where spec_problems.problem is not null

)

select * from final

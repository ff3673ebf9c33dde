{#- The measures of int_marketplace_usage_cumulated: (column, billing item, cluster tier). -#}
{%- set measures = [] -%}
{%- for meter, billing_item in var('meter_billing_items').items() if meter != 'uptime_seconds' -%}
{%- do measures.append((meter, billing_item, none)) -%}
{%- endfor -%}
{%- for cluster_tier in var('cluster_tiers') -%}
{%- do measures.append(('billable_hours_' ~ cluster_tier, 'cluster_uptime', cluster_tier)) -%}
{%- endfor %}

{#- One row per organization, listing dimension and hour with a positive expected quantity: the
    metering record AutoMQ should have sent AWS Marketplace (SPEC 9.2), whether or not the
    organization was subscribed in that hour (the rules: doc block marketplace_rules).
    C_d(h), the quantity of dimension d accumulated to the end of hour h, is an exact fraction:
    with N the item's cumulative measure (int_marketplace_usage_cumulated), D the measure per
    unit (2^30 bytes per GiB, 2^30 x H(M) byte-hours per GiB-month, 1 per hour) and [L, U)
    the range d meters (the rate card's tier k, 6-decimal bounds, as l = L x 10^6 and
    u = U x 10^6 millionths; [0, unbounded) for a cluster tier's hours),
        C_d(h) = max(0, min(N / D, U) - L)   (graduated slices whatever the card's tier_mode:
                                              the listing has flat prices per dimension)
    floor(C_d) is computed in integers only:
        N x 10^6 <= l x D            -> 0
        N x 10^6 >= u x D            -> (u - l) div 10^6         (the whole tier)
        otherwise, with N = n x D + r and l = i x 10^6 + f (0 <= r < D, 0 <= f < 10^6),
                                     -> n - i - (1 if r x 10^6 < f x D else 0)
    and n = N div D is taken with 2^30 shifted out first (D is 1 or a multiple of 2^30), as a
    BIGINT division (a HUGEINT division costs ~40 times more). q_d(h) = floor(C_d(h)) -
    floor(C_d(h - 1 hour)), C_d(h - 1 hour) being that of N - the hour's measure; an hour only
    adds to the ranges it moves through, so only those are joined.
    A view over every month; its readers select the months they rebuild, and that filter
    reaches the scan of int_marketplace_usage_cumulated. -#}
with

cumulated {{ inlined_cte() }} (

    -- not materialized: the month filter of the view's reader reaches the table scan
    select * from {{ ref('int_marketplace_usage_cumulated') }}

),

tiers as (

    select * from {{ ref('stg_billing_config__rate_card_tiers') }}

),

dimensions as (

    select * from {{ ref('stg_billing_config__marketplace_dimensions') }}

),

unpivoted as (

    select
        cumulated.organization_id,
        cumulated.usage_month,
        cumulated.usage_hour,
        {%- set structs = [] %}
        {%- for measure, billing_item, cluster_tier in measures %}
        {%- do structs.append({
            'billing_item': "'" ~ billing_item ~ "'",
            'cluster_tier': "'" ~ cluster_tier ~ "'" if cluster_tier else 'cast(null as string)',
            'hour_measure': 'cumulated.' ~ measure,
            'cumulative_measure': 'cumulated.cumulative_' ~ measure,
        }) %}
        {%- endfor %}
        {{ unnest_structs(
            structs, ['billing_item', 'cluster_tier', 'hour_measure', 'cumulative_measure']
        ) }}
            as measured
    from cumulated

),

measured as (

    select
        unpivoted.organization_id,
        unpivoted.usage_month,
        unpivoted.usage_hour,
        unpivoted.measured.billing_item,
        unpivoted.measured.cluster_tier,
        unpivoted.measured.cumulative_measure as measure_through,
        unpivoted.measured.cumulative_measure - unpivoted.measured.hour_measure as measure_before,
        cast(case unpivoted.measured.billing_item
            when 'data_retention' then 1073741824 * {{ hours_in_month('unpivoted.usage_month') }}
            when 'cluster_uptime' then 1
            else 1073741824
        end as bigint) as measure_per_unit
    from unpivoted
    where unpivoted.measured.hour_measure > 0

),

months as (

    select distinct cumulated.usage_month from cumulated

),

month_dimensions as (

    -- per month, every dimension of the listing in force with the bounds of what it meters, in
    -- millionths of a unit: a data item's tier of the rate card in force, [0, unbounded) for
    -- a cluster tier's hours
    select
        months.usage_month,
        dimensions.product_code,
        dimensions.dimension,
        dimensions.price_per_unit,
        dimensions.billing_item,
        dimensions.cluster_tier,
        coalesce(cast(tiers.lower_bound * 1000000 as bigint), 0) as lower_micro_units,
        cast(tiers.upper_bound * 1000000 as bigint) as upper_micro_units
    from months
    inner join dimensions
        on {{ in_force('dimensions', 'months.usage_month') }}
    left join tiers
        on dimensions.billing_item = tiers.billing_item
        and dimensions.tier = tiers.tier
        and {{ in_force('tiers', 'months.usage_month') }}
    where dimensions.billing_item = 'cluster_uptime' or tiers.tier is not null

),

crossed as (

    -- the ranges the hour's quantity moves through: Q(h) > L and Q(h - 1 hour) < U
    -- (sqlfluff loses the indent of a case expression repeated by a Jinja loop)
    -- noqa: disable=LT02
    select
        measured.organization_id,
        measured.usage_month,
        measured.usage_hour,
        month_dimensions.product_code,
        month_dimensions.dimension,
        month_dimensions.price_per_unit,
        measured.measure_per_unit,
        month_dimensions.lower_micro_units,
        month_dimensions.upper_micro_units,
        measured.measure_through,
        measured.measure_before,
        {%- for moment in ['through', 'before'] %}
        {{ whole_units('measured.measure_' ~ moment, 'measured.measure_per_unit') }}
            as whole_units_{{ moment }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    -- noqa: enable=LT02
    from measured
    inner join month_dimensions
        on measured.usage_month = month_dimensions.usage_month
        and measured.billing_item = month_dimensions.billing_item
        and measured.cluster_tier is not distinct from month_dimensions.cluster_tier
        and (
            cast(month_dimensions.lower_micro_units as {{ wide_int() }}) * measured.measure_per_unit
            < measured.measure_through * 1000000
        )
        and (
            month_dimensions.upper_micro_units is null
            or (
                cast(month_dimensions.upper_micro_units as {{ wide_int() }})
                * measured.measure_per_unit
                > measured.measure_before * 1000000
            )
        )

),

floored as (

    -- floor(C_d) at the end of the hour and at the end of the hour before (sqlfluff loses the
    -- indent of a case expression repeated by a Jinja loop)
    -- noqa: disable=LT02
    select
        crossed.organization_id,
        crossed.usage_month,
        crossed.usage_hour,
        crossed.product_code,
        crossed.dimension,
        crossed.price_per_unit,
        {%- for moment in ['through', 'before'] %}
        case
            when crossed.measure_{{ moment }} * 1000000
                <= cast(crossed.lower_micro_units as {{ wide_int() }}) * crossed.measure_per_unit
                then 0
            when crossed.upper_micro_units is not null
                and crossed.measure_{{ moment }} * 1000000
                    >= cast(crossed.upper_micro_units as {{ wide_int() }})
                    * crossed.measure_per_unit
                then {{ int_div(
                    '(crossed.upper_micro_units - crossed.lower_micro_units)', '1000000'
                ) }}
            else crossed.whole_units_{{ moment }}
                - {{ int_div('crossed.lower_micro_units', '1000000') }}
                - case
                    when cast(
                        crossed.measure_{{ moment }}
                        - cast(crossed.whole_units_{{ moment }} as {{ wide_int() }})
                        * crossed.measure_per_unit
                        as bigint) * 1000000
                        < (crossed.lower_micro_units % 1000000) * crossed.measure_per_unit
                        then 1
                    else 0
                end
        end as units_{{ moment }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    -- noqa: enable=LT02
    from crossed

),

final as (

    select
        floored.organization_id,
        floored.usage_month,
        floored.product_code,
        floored.dimension,
        floored.usage_hour,
        cast(floored.units_through - floored.units_before as bigint) as quantity,
        floored.price_per_unit
    from floored
    where floored.units_through > floored.units_before

)

select * from final

{{ config(materialized='table') }}

{#- One row per organization, month, billing item and (for cluster_uptime) cluster tier: the
    billable quantity of SPEC 3, exact to 6 decimals.
    - data_ingress / data_egress (GiB) = round6(bytes / 2^30);
    - data_retention (GiB-month) = round6(byte-hours / 2^30 / H(M)), hours without a record
      counting as zero;
    - cluster_uptime (hour) = billable instance-hours. -#}
with

measures as (

    select * from {{ ref('int_usage_measures_aggregated') }}

),

summed as (

    select
        measures.organization_id,
        measures.usage_month,
        measures.billing_item,
        measures.cluster_tier,
        cast({{ wide_sum('measures.measure') }} as {{ wide_int() }}) as measure
    from measures
    group by
        measures.organization_id,
        measures.usage_month,
        measures.billing_item,
        measures.cluster_tier

),

final as (

    select
        summed.organization_id,
        summed.usage_month,
        summed.billing_item,
        summed.cluster_tier,
        summed.measure,
        {{ billable_quantity('summed.billing_item', 'summed.measure', 'summed.usage_month') }}
            as quantity,
        {{ billing_unit('summed.billing_item') }} as unit
    from summed

)

select * from final

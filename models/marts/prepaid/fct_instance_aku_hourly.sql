{{ month_incremental_config(repriced=true) }}

{#- One row per prepaid instance and hour in which it ran (rated uptime_seconds > 0: a stopped
    instance needs no capacity, SPEC 4.3): the write and read peaks (a missing peak meter counts
    as 0) and the AKU the hour required under the capacity spec in force for that hour, computed
    exactly in integers. {{ doc('capacity_rules') }} -#}
{%- set write_aku = ceil_div('specified.write_numerator', 'specified.write_denominator') %}
{%- set read_aku = ceil_div('specified.read_numerator', 'specified.read_denominator') %}
with

hours as (

    select * from {{ ref('fct_usage_hourly') }} as usage_hourly
    where usage_hourly.pricing_mode = 'prepaid'
        and usage_hourly.uptime_seconds > 0
        and {{ in_affected_months('usage_hourly.usage_month', repriced=true) }}

),

specs as (

    select * from {{ ref('stg_billing_config__aku_capacity_specs') }}

),

specified as (

    select
        hours.organization_id,
        hours.environment_id,
        hours.instance_id,
        hours.hour_start,
        hours.usage_month,
        hours.write_peak_bytes_per_s,
        hours.read_peak_bytes_per_s,
        specs.spec_version,
        specs.combine,
        specs.min_aku,
        specs.max_aku,
        -- quotients as integer fractions: w / (W x 2^20) with W in millionths of a MiB/s is
        -- w x 10^6 / (W_micro x 2^20) = w x 15625 / (W_micro x 2^14); small enough that even
        -- peaks near the BIGINT limit cannot overflow HUGEINT in the cross products below
        cast(hours.write_peak_bytes_per_s as {{ wide_int() }}) * 15625 as write_numerator,
        cast(hours.read_peak_bytes_per_s as {{ wide_int() }}) * 15625 as read_numerator,
        specs.write_micro_mib_per_s_per_aku * 16384 as write_denominator,
        specs.read_micro_mib_per_s_per_aku * 16384 as read_denominator
    from hours
    left join specs
        on {{ in_force('specs', 'hours.usage_month') }}

),

sized as (

    select
        specified.*,
        case specified.combine
            when 'sum' then {{ ceil_div(
                'specified.write_numerator * specified.read_denominator'
                ~ ' + specified.read_numerator * specified.write_denominator',
                'specified.write_denominator * specified.read_denominator') }}
            when 'max' then greatest({{ write_aku }}, {{ read_aku }})
        end as throughput_aku
    from specified

),

final as (

    select
        sized.organization_id,
        sized.environment_id,
        sized.instance_id,
        sized.hour_start,
        sized.usage_month,
        sized.write_peak_bytes_per_s,
        sized.read_peak_bytes_per_s,
        sized.spec_version,
        cast(sized.throughput_aku as bigint) as throughput_aku,
        cast(greatest(sized.min_aku, sized.throughput_aku) as bigint) as required_aku,
        greatest(sized.min_aku, sized.throughput_aku) > sized.max_aku as exceeds_max_aku
    from sized

)

select * from final

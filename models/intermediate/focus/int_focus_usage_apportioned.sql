{#- One row per usage line and usage-based instance with a non-zero share (SPEC 10.1, Usage): the
    line's quantity (in millionths) and amount (in cents) apportioned over the instances that made
    it, by largest remainder, ties to the smaller instance_id. The share of an instance is its
    exact integer measure (int_usage_measures_aggregated) over the organization's: bytes for
    ingress and egress, byte-hours for retention (both proportional to the unrounded quantity of
    SPEC 3), and for cluster_uptime its billable hours at the line's cluster tier (so its row
    quantity is exactly those hours). -#}
with

lines as (

    select * from {{ ref('int_statement_lines_invoiced') }} as invoiced_lines
    where invoiced_lines.line_type = 'usage'

),

measures as (

    select * from {{ ref('int_usage_measures_aggregated') }} as aggregated_measures
    where aggregated_measures.measure > 0

),

instance_hours as (

    select * from {{ ref('int_usage_hours_pivoted') }}

),

instance_regions as (

    select
        instance_hours.instance_id,
        instance_hours.usage_month,
        max(instance_hours.region) as region
    from instance_hours
    group by instance_hours.instance_id, instance_hours.usage_month

),

pieces as (

    select
        lines.statement_month,
        lines.organization_id,
        lines.billing_item,
        lines.tier,
        lines.cluster_tier,
        measures.instance_id,
        measures.environment_id,
        measures.measure,
        cast(lines.quantity * 1000000 as decimal(38, 0)) as line_micros,
        cast(lines.amount * 100 as decimal(38, 0)) as line_cents
    from lines
    inner join measures
        on lines.organization_id = measures.organization_id
        and lines.statement_month = measures.usage_month
        and lines.billing_item = measures.billing_item
        and coalesce(lines.cluster_tier, '') = coalesce(measures.cluster_tier, '')

),

quantities as (

    {{ apportion_largest_remainder(
        relation='pieces',
        columns=['statement_month', 'organization_id', 'billing_item', 'tier', 'cluster_tier',
            'instance_id', 'environment_id', 'measure', 'line_cents'],
        partition_by=['statement_month', 'organization_id', 'billing_item', 'tier',
            'cluster_tier'],
        weight='measure',
        total_units='line_micros',
        tie_breaker='instance_id',
        output='quantity_micros'
    ) }}

),

amounts as (

    {{ apportion_largest_remainder(
        relation='quantities',
        columns=['statement_month', 'organization_id', 'billing_item', 'tier', 'cluster_tier',
            'instance_id', 'environment_id', 'measure', 'quantity_micros'],
        partition_by=['statement_month', 'organization_id', 'billing_item', 'tier',
            'cluster_tier'],
        weight='measure',
        total_units='line_cents',
        tie_breaker='instance_id',
        output='amount_cents'
    ) }}

),

final as (

    select
        amounts.statement_month,
        amounts.organization_id,
        amounts.billing_item,
        amounts.tier,
        amounts.cluster_tier,
        amounts.instance_id,
        amounts.environment_id,
        instance_regions.region,
        amounts.measure,
        {{ micros_to_decimal6('amounts.quantity_micros') }} as quantity,
        {{ cents_to_decimal2('amounts.amount_cents') }} as amount
    from amounts
    left join instance_regions
        on amounts.instance_id = instance_regions.instance_id
        and amounts.statement_month = instance_regions.usage_month

)

select * from final

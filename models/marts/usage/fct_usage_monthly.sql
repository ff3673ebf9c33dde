{#- One row per organization, month and billing item with rated usage of usage-based instances:
    the billable quantity (SPEC 3; cluster_uptime summed over cluster tiers), the exact measure
    behind it, and the amount charged for it on the statement (0 when every line rounds away). -#}
with

quantities as (

    select * from {{ ref('int_usage_quantities_monthly') }}

),

lines as (

    select * from {{ ref('int_statement_lines_rated') }} as rated_lines
    where rated_lines.line_type = 'usage'

),

items as (

    select
        quantities.organization_id,
        quantities.usage_month,
        quantities.billing_item,
        max(quantities.unit) as unit,
        cast({{ wide_sum('quantities.measure') }} as {{ wide_int() }}) as measure,
        cast(sum(quantities.quantity) as decimal(38, 6)) as quantity
    from quantities
    group by quantities.organization_id, quantities.usage_month, quantities.billing_item

),

charged as (

    select
        lines.organization_id,
        lines.statement_month,
        lines.billing_item,
        sum(lines.amount) as amount,
        count(*) as line_count
    from lines
    group by lines.organization_id, lines.statement_month, lines.billing_item

),

final as (

    select
        items.organization_id,
        items.usage_month,
        items.billing_item,
        items.unit,
        items.measure,
        items.quantity,
        cast(coalesce(charged.amount, 0) as decimal(38, 2)) as amount,
        coalesce(charged.line_count, 0) as line_count,
        cast('USD' as string) as currency
    from items
    left join charged
        on items.organization_id = charged.organization_id
        and items.usage_month = charged.statement_month
        and items.billing_item = charged.billing_item

)

select * from final

-- SPEC 10.3: a usage line's FOCUS rows sum exactly to its quantity and amount, and every usage
-- line has rows. FOCUS's PascalCase columns are read in lowercase (SQL identifiers are
-- case-insensitive on both engines).
with

rows_per_line as (

    select
        focus.billingperiodstart as billing_period_start,
        focus.billingaccountid as organization_id,
        focus.x_billingitem as billing_item,
        focus.x_tier as tier,
        focus.x_clustertier as cluster_tier,
        sum(focus.pricingquantity) as quantity,
        sum(focus.effectivecost) as amount
    from {{ ref('fct_focus_charges') }} as focus
    where focus.x_linetype = 'usage'
    group by
        focus.billingperiodstart,
        focus.billingaccountid,
        focus.x_billingitem,
        focus.x_tier,
        focus.x_clustertier

),

lines as (

    select
        cast(invoiced.statement_month as timestamp) as billing_period_start,
        invoiced.organization_id,
        invoiced.billing_item,
        invoiced.tier,
        invoiced.cluster_tier,
        invoiced.quantity,
        invoiced.amount
    from {{ ref('int_statement_lines_invoiced') }} as invoiced
    where invoiced.line_type = 'usage'

)

select
    lines.billing_period_start,
    lines.organization_id,
    lines.billing_item,
    lines.tier,
    lines.cluster_tier,
    lines.quantity,
    lines.amount,
    rows_per_line.quantity as rows_quantity,
    rows_per_line.amount as rows_amount
from lines
left join rows_per_line
    on lines.billing_period_start = rows_per_line.billing_period_start
    and lines.organization_id = rows_per_line.organization_id
    and lines.billing_item = rows_per_line.billing_item
    and coalesce(lines.tier, -1) = coalesce(rows_per_line.tier, -1)
    and coalesce(lines.cluster_tier, '') = coalesce(rows_per_line.cluster_tier, '')
where rows_per_line.quantity is null
    or lines.quantity != rows_per_line.quantity
    or lines.amount != rows_per_line.amount

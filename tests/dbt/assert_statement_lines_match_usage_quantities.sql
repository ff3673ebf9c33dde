-- Traceability: the quantities on an organization's usage lines add up to the billable quantity
-- of the item computed from the rated rows (tier slices of a graduated card sum to Q; a volume
-- line carries Q; uptime lines carry the hours). Months no rate card prices (int_usage_unpriced)
-- have no line by design: their close is refused.
with

lines as (

    select
        statement_lines.organization_id,
        statement_lines.statement_month,
        statement_lines.billing_item,
        sum(statement_lines.quantity) as line_quantity
    from {{ ref('fct_statement_lines') }} as statement_lines
    where statement_lines.line_type = 'usage'
    group by
        statement_lines.organization_id,
        statement_lines.statement_month,
        statement_lines.billing_item

),

unpriced as (

    select distinct usage_unpriced.usage_month
    from {{ ref('int_usage_unpriced') }} as usage_unpriced

),

items as (

    select * from {{ ref('fct_usage_monthly') }} as usage_monthly
    where usage_monthly.quantity > 0
        and not exists (
            select 1 from unpriced
            where unpriced.usage_month = usage_monthly.usage_month
        )

)

select
    items.organization_id,
    items.usage_month,
    items.billing_item,
    items.quantity,
    lines.line_quantity
from items
full outer join lines
    on items.organization_id = lines.organization_id
    and items.usage_month = lines.statement_month
    and items.billing_item = lines.billing_item
where items.quantity is distinct from lines.line_quantity

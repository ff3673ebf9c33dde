{#- One row per organization and statement month with at least one line (SPEC 5): subtotals by
    line type and the total, each the exact sum of its lines' amounts. -#}
with

lines as (

    select * from {{ ref('fct_statement_lines') }}

),

final as (

    select
        lines.statement_month,
        lines.organization_id,
        cast('USD' as string) as currency,
        cast(
            coalesce(sum(lines.amount) filter (where lines.line_type = 'usage'), 0)
            as decimal(38, 2)
        ) as usage_amount,
        cast(
            coalesce(sum(lines.amount) filter (where lines.line_type = 'subscription'), 0)
            as decimal(38, 2)
        ) as subscription_amount,
        cast(
            coalesce(sum(lines.amount) filter (where lines.line_type = 'adjustment'), 0)
            as decimal(38, 2)
        ) as adjustment_amount,
        cast(sum(lines.amount) as decimal(38, 2)) as total_amount,
        cast(count(*) as integer) as line_count
    from lines
    group by lines.statement_month, lines.organization_id

)

select * from final

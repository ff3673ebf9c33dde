-- Every statement's subtotals and total equal the sums of its lines, its line count is right,
-- and every line belongs to a statement.
with

line_sums as (

    select
        statement_lines.statement_month,
        statement_lines.organization_id,
        sum(statement_lines.amount) filter (
            where statement_lines.line_type = 'usage'
        ) as usage_amount,
        sum(statement_lines.amount) filter (
            where statement_lines.line_type = 'subscription'
        ) as subscription_amount,
        sum(statement_lines.amount) filter (
            where statement_lines.line_type = 'adjustment'
        ) as adjustment_amount,
        sum(statement_lines.amount) as total_amount,
        count(*) as line_count
    from {{ ref('fct_statement_lines') }} as statement_lines
    group by statement_lines.statement_month, statement_lines.organization_id

),

statements as (

    select * from {{ ref('fct_statements') }}

)

select
    coalesce(statements.statement_month, line_sums.statement_month) as statement_month,
    coalesce(statements.organization_id, line_sums.organization_id) as organization_id,
    statements.total_amount,
    line_sums.total_amount as line_total_amount
from statements
full outer join line_sums
    on statements.statement_month = line_sums.statement_month
    and statements.organization_id = line_sums.organization_id
where statements.organization_id is null
    or line_sums.organization_id is null
    or statements.usage_amount != coalesce(line_sums.usage_amount, 0)
    or statements.subscription_amount != coalesce(line_sums.subscription_amount, 0)
    or statements.adjustment_amount != coalesce(line_sums.adjustment_amount, 0)
    or statements.total_amount != line_sums.total_amount
    or statements.total_amount != (
        statements.usage_amount + statements.subscription_amount + statements.adjustment_amount
    )
    or statements.line_count != line_sums.line_count

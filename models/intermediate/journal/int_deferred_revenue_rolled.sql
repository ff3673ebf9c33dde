{#- One row per licence with a deferred revenue balance or movement in the month being closed
    (stg_control__run_context), SPEC 12.3:
    - opening_balance: the licence's closing balance in the last final month's issued
      roll-forward (0 when it has none there);
    - invoiced_amount: the month's aku_subscription lines of the licence (its subscription line
      and its adjustments);
    - recognised_amount: what SPEC 4.2 recognises up to the month's end that no final month's
      journal has recognised yet. 4.2's monthly amounts telescope, so what it recognises up to
      the end of month M is round2(amount x c(M) / D); the issued roll-forwards say what
      earlier journals recognised. Only a licence this book has billed (a line in the month or
      in an issued month) is recognised, so a late licence catches up in the month that first
      bills it;
    - closing_balance = opening_balance + invoiced_amount - recognised_amount. -#}
with

close_month as (

    select context.close_month from {{ ref('stg_control__run_context') }} as context

),

final_months as (

    select final_months.statement_month
    from {{ ref('stg_ledger__final_months') }} as final_months
    inner join close_month on final_months.statement_month < close_month.close_month

),

issued as (

    select issued.*
    from {{ ref('stg_ledger__issued_deferred_revenue') }} as issued
    inner join final_months on issued.statement_month = final_months.statement_month

),

last_final as (

    select max(final_months.statement_month) as statement_month from final_months

),

opening as (

    select
        issued.license_id,
        issued.organization_id,
        issued.closing_balance as opening_balance
    from issued
    inner join last_final on issued.statement_month = last_final.statement_month

),

recognised_before as (

    select
        issued.license_id,
        sum(issued.recognised_amount) as recognised_amount
    from issued
    group by issued.license_id

),

invoiced as (

    select
        statement_lines.license_id,
        statement_lines.organization_id,
        sum(statement_lines.amount) as invoiced_amount
    from {{ ref('int_statement_lines_invoiced') }} as statement_lines
    inner join close_month on statement_lines.statement_month = close_month.close_month
    where statement_lines.billing_item = 'aku_subscription'
    group by statement_lines.license_id, statement_lines.organization_id

),

billed_before as (

    select distinct issued_lines.license_id
    from {{ ref('stg_ledger__issued_statement_lines') }} as issued_lines
    inner join final_months on issued_lines.statement_month = final_months.statement_month
    where issued_lines.billing_item = 'aku_subscription'

),

licenses as (

    select
        priced.license_id,
        priced.organization_id,
        priced.start_date,
        priced.end_date,
        priced.term_days,
        priced.amount
    from {{ ref('int_licenses_priced') }} as priced
    where not priced.has_no_list_price

),

billed as (

    select invoiced.license_id from invoiced
    union
    select billed_before.license_id from billed_before
    union
    select opening.license_id from opening

),

recognised_to_date as (

    select
        licenses.license_id,
        case
            when licenses.term_days <= 0 then licenses.amount
            else {{ cents_to_decimal2(div_round_half_away(
                'cast(licenses.amount * 100 as bigint) * greatest(0, least(licenses.term_days, '
                ~ term_days_between('licenses.start_date',
                    'cast(close_month.close_month + interval 1 month as date)') ~ '))',
                'licenses.term_days')) }}
        end as recognised_amount
    from licenses
    cross join close_month

),

rolled as (

    select
        close_month.close_month as statement_month,
        billed.license_id,
        coalesce(invoiced.organization_id, opening.organization_id, licenses.organization_id)
            as organization_id,
        cast(coalesce(opening.opening_balance, 0) as decimal(38, 2)) as opening_balance,
        cast(coalesce(invoiced.invoiced_amount, 0) as decimal(38, 2)) as invoiced_amount,
        cast(
            coalesce(recognised_to_date.recognised_amount, recognised_before.recognised_amount, 0)
            - coalesce(recognised_before.recognised_amount, 0)
            as decimal(38, 2)
        ) as recognised_amount
    from billed
    cross join close_month
    left join opening on billed.license_id = opening.license_id
    left join invoiced on billed.license_id = invoiced.license_id
    left join recognised_before on billed.license_id = recognised_before.license_id
    left join recognised_to_date on billed.license_id = recognised_to_date.license_id
    left join licenses on billed.license_id = licenses.license_id

),

final as (

    select
        rolled.statement_month,
        rolled.license_id,
        rolled.organization_id,
        rolled.opening_balance,
        rolled.invoiced_amount,
        rolled.recognised_amount,
        cast(
            rolled.opening_balance + rolled.invoiced_amount - rolled.recognised_amount
            as decimal(38, 2)
        ) as closing_balance,
        cast('USD' as varchar(3)) as currency
    from rolled
    where rolled.opening_balance != 0
        or rolled.invoiced_amount != 0
        or rolled.recognised_amount != 0

)

select * from final

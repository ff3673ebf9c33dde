-- What changed in an issued month: per organization and billing item, its issued position (the
-- final version's lines plus the corrections already booked for it) against what the current
-- landing and seeds rate it at today. The ledger is the one the last close loaded (the final
-- months before the month it closed).
-- Usage:
--   .venv/bin/dbt compile --project-dir . --profiles-dir . --select issued_vs_rerated \
--       --vars '{month: 2026-09-01}'
--   then run target/compiled/automq_billing/analysis/issued_vs_rerated.sql (README: For analysts).
{% set month = month_var('2026-09-01') %}

with

issued as (

    select
        positions.organization_id,
        positions.billing_item,
        sum(positions.issued_quantity) as issued_quantity,
        sum(positions.issued_amount) as issued_amount
    from {{ ref('int_issued_positions') }} as positions
    where positions.issued_month = {{ month }}
    group by positions.organization_id, positions.billing_item

),

rerated as (

    select
        rated_lines.organization_id,
        rated_lines.billing_item,
        sum(rated_lines.quantity) as rerated_quantity,
        sum(rated_lines.amount) as rerated_amount
    from {{ ref('int_statement_lines_rated') }} as rated_lines
    where rated_lines.statement_month = {{ month }}
    group by rated_lines.organization_id, rated_lines.billing_item

),

final as (

    select
        coalesce(rerated.organization_id, issued.organization_id) as organization_id,
        coalesce(rerated.billing_item, issued.billing_item) as billing_item,
        coalesce(issued.issued_quantity, 0) as issued_quantity,
        coalesce(rerated.rerated_quantity, 0) as rerated_quantity,
        coalesce(issued.issued_amount, 0) as issued_amount,
        coalesce(rerated.rerated_amount, 0) as rerated_amount,
        coalesce(rerated.rerated_amount, 0) - coalesce(issued.issued_amount, 0) as amount_change
    from rerated
    full outer join issued
        on rerated.organization_id = issued.organization_id
        and rerated.billing_item = issued.billing_item

)

select * from final
where final.amount_change != 0 or final.issued_quantity != final.rerated_quantity
order by abs(final.amount_change) desc, final.organization_id asc, final.billing_item asc

-- The metering exceptions of one month that matter most (SPEC 9.3), for finance and whoever
-- runs the metering job: per organization (or, for unknown_customer rows, per AWS account),
-- cause and dimension, the hours affected, the first and last of them, the units and the
-- amount not metered (expected - accepted, at the listing price; unknown_dimension rows have
-- no price), largest absolute amount first. Set `limit` to see more rows.
--
-- How to run (a fresh machine has no duckdb CLI):
--   .venv/bin/dbt compile --select marketplace_largest_exceptions --vars '{month: 2026-10-01, limit: 50}'
--   .venv/bin/python -c "import duckdb, pathlib; sql = pathlib.Path('target/compiled/automq_billing/analysis/marketplace_largest_exceptions.sql').read_text(); duckdb.connect('warehouse/billing.duckdb', read_only=True).sql(sql).show(max_width=250)"
-- (use the warehouse the close or reconcile wrote: --warehouse / AUTOMQ_BILLING_WAREHOUSE.)
{% set month = month_var('2026-10-01') %}
{% set row_limit = var('limit', 100) | int %}

with

exceptions as (

    select * from {{ ref('fct_marketplace_metering_exceptions') }} as metering_exceptions
    where metering_exceptions.usage_month = {{ month }}

),

grouped as (

    select
        exceptions.organization_id,
        exceptions.customer_aws_account_id,
        exceptions.cause,
        exceptions.product_code,
        exceptions.dimension,
        count(*) as hours,
        min(exceptions.usage_hour) as first_hour,
        max(exceptions.usage_hour) as last_hour,
        sum(exceptions.expected_quantity) as expected_quantity,
        sum(exceptions.accepted_quantity) as accepted_quantity,
        sum(exceptions.quantity_difference) as quantity_difference,
        sum(exceptions.amount_difference) as amount_difference,
        {{ sorted_string_agg('exceptions.status', "', '", distinct=true) }} as statuses
    from exceptions
    group by
        exceptions.organization_id,
        exceptions.customer_aws_account_id,
        exceptions.cause,
        exceptions.product_code,
        exceptions.dimension

),

final as (

    select * from grouped

)

select * from final
order by
    abs(coalesce(final.amount_difference, 0)) desc,
    abs(final.quantity_difference) desc,
    final.organization_id asc nulls first,
    final.customer_aws_account_id asc,
    final.product_code asc,
    final.dimension asc,
    final.cause asc
limit {{ row_limit }}

-- AWS Marketplace reconciliation of one month, per status (SPEC 9.4): how many organizations
-- are in each status and what each step of statement -> expected -> accepted -> invoiced
-- amounts to, with the organizations of the status listed worst first (largest absolute
-- variance). Statuses come in the order they apply (the var marketplace_statuses).
--
-- How to run (a fresh machine has no duckdb CLI):
--   .venv/bin/dbt compile --select marketplace_reconciliation_by_status --vars '{month: 2026-10-01}'
--   .venv/bin/python -c "import duckdb, pathlib; sql = pathlib.Path('target/compiled/automq_billing/analysis/marketplace_reconciliation_by_status.sql').read_text(); duckdb.connect('warehouse/billing.duckdb', read_only=True).sql(sql).show(max_width=250)"
-- (use the warehouse the close or reconcile wrote: --warehouse / AUTOMQ_BILLING_WAREHOUSE.)
{% set month = month_var('2026-10-01') %}

with

reconciliation as (

    select * from {{ ref('rpt_marketplace_reconciliation') }} as marketplace_reconciliation
    where marketplace_reconciliation.usage_month = {{ month }}

),

by_status as (

    select
        {{ position_in(var('marketplace_statuses'), 'reconciliation.status') }}
            as status_position,
        reconciliation.status,
        count(*) as organizations,
        sum(reconciliation.statement_usage_amount) as statement_usage_amount,
        sum(reconciliation.expected_metered_amount) as expected_metered_amount,
        sum(reconciliation.accepted_metered_amount) as accepted_metered_amount,
        sum(reconciliation.invoiced_amount) as invoiced_amount,
        sum(reconciliation.rating_variance) as rating_variance,
        sum(reconciliation.metering_variance) as metering_variance,
        sum(reconciliation.invoicing_variance) as invoicing_variance,
        sum(reconciliation.seller_net_amount) as seller_net_amount,
        sum(reconciliation.disbursed_amount) as disbursed_amount,
        {{ ordered_string_agg(
            'reconciliation.organization_id',
            "', '",
            [
                '-greatest(abs(reconciliation.rating_variance),'
                ~ ' abs(reconciliation.metering_variance),'
                ~ ' abs(reconciliation.invoicing_variance))',
                'reconciliation.organization_id',
            ],
        ) }} as organizations_worst_first
    from reconciliation
    group by reconciliation.status

),

final as (

    select * from by_status

)

select * from final
order by final.status_position

{#- One row per charge line of a monthly statement (the grain of fct_statement_lines) with the
    party that invoices it (SPEC 10.2, "Who invoices a charge"): the one home of that rule, read
    by the statements, the FOCUS export, the invoices and the journal.
    - usage lines and usage adjustments: `aws_marketplace` when a Marketplace subscription of the
      organization overlaps the statement month (subscribed_at before the month's end, not
      unsubscribed before its start: every reconciliation status but `off_marketplace`);
    - subscription lines and their adjustments: the marketplace of the licence's channel;
    - everything else: `automq`. -#}
with

rated as (

    select * from {{ ref('int_statement_lines_rated') }}

),

adjustments as (

    select * from {{ ref('int_statement_adjustments') }}

),

subscriptions as (

    select * from {{ ref('int_marketplace_customer_subscriptions') }}

),

licenses as (

    select * from {{ ref('int_licenses_validated') }} as validated_licenses
    where validated_licenses.outcome = 'valid'

),

lines as (

    select
        rated.statement_month,
        rated.organization_id,
        rated.line_type,
        rated.billing_item,
        rated.tier,
        rated.cluster_tier,
        rated.license_id,
        rated.adjusted_month,
        rated.quantity,
        rated.unit,
        rated.unit_price,
        rated.amount,
        rated.currency,
        rated.rate_card_version
    from rated

    union all

    select
        adjustments.statement_month,
        adjustments.organization_id,
        adjustments.line_type,
        adjustments.billing_item,
        adjustments.tier,
        adjustments.cluster_tier,
        adjustments.license_id,
        adjustments.adjusted_month,
        adjustments.quantity,
        adjustments.unit,
        adjustments.unit_price,
        adjustments.amount,
        adjustments.currency,
        adjustments.rate_card_version
    from adjustments

),

marketplace_months as (

    select distinct
        lines.organization_id,
        lines.statement_month
    from lines
    inner join subscriptions
        on lines.organization_id = subscriptions.organization_id
        and {{ subscription_overlaps_month('subscriptions', 'lines.statement_month') }}

),

final as (

    select
        lines.*,
        cast(case
            when
                lines.billing_item = 'aku_subscription'
                and licenses.channel in {{ sql_list(var('marketplace_invoicers')) }}
                then licenses.channel
            when lines.billing_item = 'aku_subscription' then 'automq'
            when marketplace_months.organization_id is not null then 'aws_marketplace'
            else 'automq'
        end as varchar(32)) as invoiced_by
    from lines
    left join marketplace_months
        on lines.organization_id = marketplace_months.organization_id
        and lines.statement_month = marketplace_months.statement_month
    left join licenses
        on lines.license_id = licenses.license_id

)

select * from final

{{ month_incremental_config(repriced=true) }}

{#- One row per organization and month with usage-based statement lines in the month, or with
    accepted metering (a positive accepted quantity of a listed dimension) or current billing
    events of the month mapped to it through its customer accounts (SPEC 9.4; rules in the doc
    block marketplace_rules). It ties the statement to AWS's invoice in three steps whose
    variances add up exactly:
    statement_usage_amount = invoiced_amount + rating_variance + metering_variance
    + invoicing_variance. All amounts DECIMAL(38,6).
    - statement_usage_amount: the usage lines of the month as currently rated
      (int_statement_lines_rated); for a final month inside the correction window (M - L <= F
      < M, M the month being closed, or for a reconciliation of a final month the month after
      the latest final month, the next one to close) the same figure, which is its issued
      usage position plus the correction still to book; for a final month before the window,
      its issued usage position (the usage lines of its final version plus the usage
      adjustments booked for it in later final versions, int_issued_positions), since nothing
      will correct it any more;
    - issued_usage_amount: for a final month, the usage lines of its final version (the
      usage_amount of its final statement; 0 for an organization without one); null for an
      open month;
    - expected / accepted_metered_amount: sum over dimensions of round2(month quantity x the
      listing's price), half away from zero; the accepted quantities are the expected ones
      corrected by the metering exceptions (A = E - (E - A)): the hourly records are read
      through int_marketplace_metering_compared, for the months the build reprices;
    - billing events: the current events with action INVOICED whose usage period starts in the
      month, whose end_user_account_id belongs to the organization and whose product_id is the
      listing's (in force for the month), and which are not in conflict (two rows of their
      latest update_date that differ); the others are listed by
      int_marketplace_billing_events_unmatched.
    A month-level incremental table (the months a build reprices), like its reader
    rpt_marketplace_reconciliation: its month filters reach the table scans under the views it
    reads, which a filter on a view's output, past its unions and joins, would not. -#}
with

statement_lines as (

    select * from {{ ref('int_statement_lines_rated') }} as rated_lines
    where rated_lines.line_type = 'usage'
        and {{ in_affected_months('rated_lines.statement_month', repriced=true) }}

),

expected as (

    select * from {{ ref('int_marketplace_metering_expected') }}
    where {{ in_affected_months('usage_month', repriced=true) }}

),

exceptions as (

    select * from {{ ref('int_marketplace_metering_compared') }} as metering_exceptions
    where metering_exceptions.cause not in ('unknown_customer', 'unknown_dimension')
        and {{ in_affected_months('metering_exceptions.usage_month', repriced=true) }}

),

run_context as (

    select * from {{ ref('stg_control__run_context') }}

),

all_final_months as (

    select * from {{ ref('stg_ledger__final_months') }}

),

issued_lines as (

    select * from {{ ref('stg_ledger__issued_statement_lines') }} as ledger_lines
    where ledger_lines.line_type = 'usage'
        and {{ in_affected_months('ledger_lines.statement_month', repriced=true) }}

),

issued_positions as (

    select * from {{ ref('int_issued_positions') }} as positions
    where positions.billing_item != 'aku_subscription'
        and {{ in_affected_months('positions.issued_month', repriced=true) }}

),

billing_events as (

    select * from {{ ref('stg_aws_marketplace__billing_events') }} as marketplace_billing_events
    where marketplace_billing_events.action = 'INVOICED'
        and not marketplace_billing_events.is_conflicting
        and {{ in_affected_months('marketplace_billing_events.usage_month', repriced=true) }}

),

subscriptions as (

    select * from {{ ref('int_marketplace_customer_subscriptions') }}

),

dimensions as (

    select * from {{ ref('stg_billing_config__marketplace_dimensions') }}

),

listings as (

    select distinct
        dimensions.effective_from,
        dimensions.effective_to,
        dimensions.product_code,
        dimensions.product_id
    from dimensions

),

accounts as (

    select distinct
        subscriptions.customer_aws_account_id,
        subscriptions.organization_id
    from subscriptions

),

latest_final_month as (

    select max(all_final_months.statement_month) as statement_month
    from all_final_months

),

closing_month as (

    select max(run_context.close_month) as close_month
    from run_context

),

reference_month as (

    -- the month the correction window counts back from: the month being closed, or, when a
    -- reconciliation runs on a final month, the month after the latest final month (the next
    -- one a close can produce)
    select
        greatest(
            coalesce(closing_month.close_month, date '0001-01-01'),
            coalesce(
                cast(latest_final_month.statement_month + interval 1 month as date),
                date '0001-01-01'
            )
        ) as reference_month
    from closing_month
    cross join latest_final_month

),

final_windows as (

    select
        all_final_months.statement_month as usage_month,
        all_final_months.statement_month < cast(
            reference_month.reference_month
            - interval {{ var('correction_lookback_months') | int }} month as date
        ) as is_before_window
    from all_final_months
    cross join reference_month

),

rerated_amounts as (

    select
        statement_lines.organization_id,
        statement_lines.statement_month as usage_month,
        sum(statement_lines.amount) as usage_amount
    from statement_lines
    group by statement_lines.organization_id, statement_lines.statement_month

),

issued_amounts as (

    select
        issued_lines.organization_id,
        issued_lines.statement_month as usage_month,
        sum(issued_lines.amount) as usage_amount
    from issued_lines
    group by issued_lines.organization_id, issued_lines.statement_month

),

position_amounts as (

    select
        issued_positions.organization_id,
        issued_positions.issued_month as usage_month,
        sum(issued_positions.issued_amount) as usage_amount
    from issued_positions
    group by issued_positions.organization_id, issued_positions.issued_month

),

statement_organizations as (

    select
        rerated_amounts.organization_id,
        rerated_amounts.usage_month
    from rerated_amounts
    union
    select
        issued_amounts.organization_id,
        issued_amounts.usage_month
    from issued_amounts
    union
    select
        position_amounts.organization_id,
        position_amounts.usage_month
    from position_amounts

),

statement_amounts as (

    -- SPEC 9.4: the re-rated usage, except for a final month before the window (its issued
    -- position); issued_usage_amount only for a final month
    select
        statement_organizations.organization_id,
        statement_organizations.usage_month,
        case
            when final_windows.is_before_window then coalesce(position_amounts.usage_amount, 0)
            else coalesce(rerated_amounts.usage_amount, 0)
        end as statement_usage_amount,
        issued_amounts.usage_amount as issued_usage_amount
    from statement_organizations
    left join final_windows
        on statement_organizations.usage_month = final_windows.usage_month
    left join rerated_amounts
        on statement_organizations.organization_id = rerated_amounts.organization_id
        and statement_organizations.usage_month = rerated_amounts.usage_month
    left join issued_amounts
        on statement_organizations.organization_id = issued_amounts.organization_id
        and statement_organizations.usage_month = issued_amounts.usage_month
    left join position_amounts
        on statement_organizations.organization_id = position_amounts.organization_id
        and statement_organizations.usage_month = position_amounts.usage_month

),

metered_quantities as (

    -- the accepted quantity A of an organization's dimension and hour is E where the two
    -- agree and E - quantity_difference where they do not (the exceptions): the month's A
    -- is its E plus the exceptions' -quantity_difference
    select
        expected.organization_id,
        expected.usage_month,
        expected.dimension,
        expected.price_per_unit,
        expected.quantity as expected_quantity,
        expected.quantity as accepted_quantity
    from expected
    union all
    select
        exceptions.organization_id,
        exceptions.usage_month,
        exceptions.dimension,
        exceptions.price_per_unit,
        0 as expected_quantity,
        -exceptions.quantity_difference as accepted_quantity
    from exceptions

),

dimension_amounts as (

    select
        metered_quantities.organization_id,
        metered_quantities.usage_month,
        metered_quantities.dimension,
        sum(metered_quantities.accepted_quantity) as accepted_quantity,
        {{ round2(
            'cast(sum(metered_quantities.expected_quantity) as decimal(38, 0))'
            ~ ' * max(metered_quantities.price_per_unit)'
        ) }} as expected_metered_amount,
        {{ round2(
            'cast(sum(metered_quantities.accepted_quantity) as decimal(38, 0))'
            ~ ' * max(metered_quantities.price_per_unit)'
        ) }} as accepted_metered_amount
    from metered_quantities
    group by
        metered_quantities.organization_id,
        metered_quantities.usage_month,
        metered_quantities.dimension

),

metered_amounts as (

    select
        dimension_amounts.organization_id,
        dimension_amounts.usage_month,
        sum(dimension_amounts.accepted_quantity) as accepted_quantity,
        sum(dimension_amounts.expected_metered_amount) as expected_metered_amount,
        sum(dimension_amounts.accepted_metered_amount) as accepted_metered_amount
    from dimension_amounts
    group by dimension_amounts.organization_id, dimension_amounts.usage_month

),

event_amounts as (

    select
        accounts.organization_id,
        billing_events.usage_month,
        sum(billing_events.amount) filter (
            where billing_events.transaction_type = 'SELLER_REV_SHARE'
        ) as invoiced_amount,
        count(*) filter (
            where billing_events.transaction_type = 'SELLER_REV_SHARE'
        ) as invoiced_events,
        sum(billing_events.amount) filter (
            where billing_events.transaction_type in (
                'SELLER_REV_SHARE_REFUND', 'SELLER_REV_SHARE_CREDIT'
            )
        ) as refunded_amount,
        sum(billing_events.amount) filter (
            where billing_events.transaction_type in (
                'AWS_REV_SHARE', 'AWS_REV_SHARE_REFUND', 'AWS_REV_SHARE_CREDIT'
            )
        ) as listing_fee_amount,
        sum(billing_events.amount) filter (
            where (
                billing_events.transaction_type = 'SELLER_REV_SHARE'
                and billing_events.disbursement_billing_event_id is not null
            )
        ) as disbursed_amount
    from billing_events
    inner join accounts
        on billing_events.end_user_account_id = accounts.customer_aws_account_id
    inner join listings
        on billing_events.product_id = listings.product_id
        and {{ in_force('listings', 'billing_events.usage_month') }}
    group by accounts.organization_id, billing_events.usage_month

),

organization_months as (

    select
        statement_amounts.organization_id,
        statement_amounts.usage_month
    from statement_amounts
    union
    select
        metered_amounts.organization_id,
        metered_amounts.usage_month
    from metered_amounts
    where metered_amounts.accepted_quantity > 0
    union
    select
        event_amounts.organization_id,
        event_amounts.usage_month
    from event_amounts

),

month_subscriptions_ranked as (

    select
        organization_months.organization_id,
        organization_months.usage_month,
        subscriptions.customer_aws_account_id,
        subscriptions.product_code,
        row_number() over (
            partition by organization_months.organization_id, organization_months.usage_month
            order by subscriptions.subscribed_at desc, subscriptions.customer_aws_account_id asc
        ) as subscription_rank
    from organization_months
    inner join subscriptions
        on organization_months.organization_id = subscriptions.organization_id
        and {{ subscription_overlaps_month('subscriptions', 'organization_months.usage_month') }}

),

month_subscriptions as (

    select
        month_subscriptions_ranked.organization_id,
        month_subscriptions_ranked.usage_month,
        month_subscriptions_ranked.customer_aws_account_id,
        month_subscriptions_ranked.product_code
    from month_subscriptions_ranked
    where month_subscriptions_ranked.subscription_rank = 1

),

amounts as (

    select
        organization_months.usage_month,
        organization_months.organization_id,
        coalesce(listings.product_code, month_subscriptions.product_code) as product_code,
        month_subscriptions.customer_aws_account_id,
        month_subscriptions.organization_id is not null as has_subscription,
        coalesce(event_amounts.invoiced_events, 0) as invoiced_events,
        cast(coalesce(statement_amounts.statement_usage_amount, 0) as decimal(38, 6))
            as statement_usage_amount,
        cast(
            case
                when final_windows.usage_month is not null
                    then coalesce(statement_amounts.issued_usage_amount, 0)
            end
            as decimal(38, 6)
        ) as issued_usage_amount,
        cast(coalesce(metered_amounts.expected_metered_amount, 0) as decimal(38, 6))
            as expected_metered_amount,
        cast(coalesce(metered_amounts.accepted_metered_amount, 0) as decimal(38, 6))
            as accepted_metered_amount,
        cast(coalesce(event_amounts.invoiced_amount, 0) as decimal(38, 6)) as invoiced_amount,
        cast(coalesce(event_amounts.refunded_amount, 0) as decimal(38, 6)) as refunded_amount,
        cast(coalesce(event_amounts.listing_fee_amount, 0) as decimal(38, 6))
            as listing_fee_amount,
        cast(coalesce(event_amounts.disbursed_amount, 0) as decimal(38, 6)) as disbursed_amount
    from organization_months
    left join statement_amounts
        on organization_months.organization_id = statement_amounts.organization_id
        and organization_months.usage_month = statement_amounts.usage_month
    left join metered_amounts
        on organization_months.organization_id = metered_amounts.organization_id
        and organization_months.usage_month = metered_amounts.usage_month
    left join event_amounts
        on organization_months.organization_id = event_amounts.organization_id
        and organization_months.usage_month = event_amounts.usage_month
    left join month_subscriptions
        on organization_months.organization_id = month_subscriptions.organization_id
        and organization_months.usage_month = month_subscriptions.usage_month
    left join final_windows
        on organization_months.usage_month = final_windows.usage_month
    left join listings
        on {{ in_force('listings', 'organization_months.usage_month') }}

),

variances as (

    select
        amounts.*,
        cast(
            amounts.invoiced_amount + amounts.refunded_amount + amounts.listing_fee_amount
            as decimal(38, 6)
        ) as seller_net_amount,
        cast(amounts.statement_usage_amount - amounts.expected_metered_amount as decimal(38, 6))
            as rating_variance,
        cast(amounts.expected_metered_amount - amounts.accepted_metered_amount as decimal(38, 6))
            as metering_variance,
        cast(amounts.accepted_metered_amount - amounts.invoiced_amount as decimal(38, 6))
            as invoicing_variance
    from amounts

),

final as (

    select
        variances.usage_month,
        variances.organization_id,
        variances.product_code,
        variances.customer_aws_account_id,
        variances.statement_usage_amount,
        variances.issued_usage_amount,
        variances.expected_metered_amount,
        variances.accepted_metered_amount,
        variances.invoiced_amount,
        variances.refunded_amount,
        variances.listing_fee_amount,
        variances.seller_net_amount,
        variances.disbursed_amount,
        variances.rating_variance,
        variances.metering_variance,
        variances.invoicing_variance,
        cast(case
            when not variances.has_subscription then 'off_marketplace'
            when variances.metering_variance != 0 then 'metering_gap'
            when variances.accepted_metered_amount > 0 and variances.invoiced_events = 0
                then 'not_invoiced'
            when variances.invoicing_variance != 0 then 'invoice_mismatch'
            when abs(variances.rating_variance)
                > cast('{{ var("marketplace_rating_tolerance") }}' as decimal(38, 6))
                then 'rating_gap'
            else 'matched'
        end as string) as status
    from variances

)

select * from final

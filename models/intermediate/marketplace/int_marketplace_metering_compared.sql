{#- One row per metering exception of a month (SPEC 9.3; rules in the doc block
    marketplace_rules):
    - per organization, listing dimension and hour where the expected quantity E differs from
      the accepted quantity A (A summed over the organization's accounts, listed dimensions
      only), with the first cause that applies: no_subscription (E > 0, no subscription of the
      organization covers the hour), not_sent (no metering row), rejected (metering rows, none
      Success), unexpected (E = 0), quantity_mismatch;
    - per product, customer account, dimension and hour with metering rows whose account is in
      no marketplace_customers row (unknown_customer, organization_id null) or, failing that,
      whose (product_code, dimension) is not in the listing in force (unknown_dimension,
      organization_id the account's): E = 0, A as accepted, counting in no organization's A.
    customer_aws_account_id: the account of the earliest accepted record, else of the earliest
    metering row, else the organization's account subscribed in the hour (latest subscribed_at),
    else null. status: the status of the earliest metering row (null without one); across an
    organization's accounts "earliest" orders by submitted_at, then account id. Only the
    records of organizations with several accounts are grouped (nearly every organization
    has one). A view over every month: its reader selects the months it rebuilds, and the
    expected and accepted quantities are compared by key and month (a union, not a full outer
    join), so that filter reaches the scans of both. -#}
with

expected as (

    select * from {{ ref('int_marketplace_metering_expected') }}

),

attributed {{ inlined_cte() }} (

    -- read three times (single-account, several-account and unattributed records): each
    -- reading scans the accepted table again rather than holding the month in memory
    select * from {{ ref('int_marketplace_metering_attributed') }}

),

subscriptions as (

    select * from {{ ref('int_marketplace_customer_subscriptions') }}

),

subscription_boundaries as (

    select
        subscriptions.organization_id,
        subscriptions.subscribed_at as boundary_at
    from subscriptions
    union
    select
        subscriptions.organization_id,
        subscriptions.unsubscribed_at as boundary_at
    from subscriptions
    where subscriptions.unsubscribed_at is not null

),

segments_covered as (

    -- an organization's time cut at every subscribed_at and unsubscribed_at: within a segment
    -- the same subscriptions cover every hour; each covering subscription ranked, the latest
    -- subscribed_at first (ties: the smallest account id); segments no subscription covers
    -- are left out
    select
        segments.organization_id,
        segments.segment_start,
        segments.segment_end,
        subscriptions.customer_aws_account_id,
        row_number() over (
            partition by segments.organization_id, segments.segment_start
            order by subscriptions.subscribed_at desc, subscriptions.customer_aws_account_id asc
        ) as covering_rank
    from (
        select
            subscription_boundaries.organization_id,
            subscription_boundaries.boundary_at as segment_start,
            lead(subscription_boundaries.boundary_at) over (
                partition by subscription_boundaries.organization_id
                order by subscription_boundaries.boundary_at
            ) as segment_end
        from subscription_boundaries
    ) as segments
    inner join subscriptions
        on segments.organization_id = subscriptions.organization_id
        and segments.segment_start >= subscriptions.subscribed_at
        and (
            subscriptions.unsubscribed_at is null
            or segments.segment_start < subscriptions.unsubscribed_at
        )

),

subscription_segments as (

    -- the segment's account is that of the first-ranked covering subscription
    select
        segments_covered.organization_id,
        segments_covered.segment_start,
        segments_covered.segment_end,
        segments_covered.customer_aws_account_id
    from segments_covered
    where segments_covered.covering_rank = 1

),

single_account_accepted as (

    -- an organization with one customer account: its records are the organization's
    select
        attributed.organization_id,
        attributed.product_code,
        attributed.dimension,
        attributed.usage_hour,
        attributed.usage_month,
        attributed.price_per_unit,
        attributed.accepted_quantity,
        attributed.has_success,
        attributed.first_status,
        attributed.customer_aws_account_id
    from attributed
    where attributed.is_known_customer
        and attributed.is_listed
        and attributed.organization_account_count = 1

),

multiple_account_accepted as (

    -- an organization with several accounts: A is the sum over them; the status and account
    -- are those of the earliest record, ordered by submitted_at, then account id
    select
        attributed.organization_id,
        attributed.product_code,
        attributed.dimension,
        attributed.usage_hour,
        attributed.usage_month,
        max(attributed.price_per_unit) as price_per_unit,
        sum(attributed.accepted_quantity) as accepted_quantity,
        bool_or(attributed.has_success) as has_success,
        {{ first_in_order(
            'attributed.first_status',
            ['attributed.first_submitted_at', 'attributed.customer_aws_account_id'],
        ) }} as first_status,
        coalesce(
            {{ first_in_order(
                'attributed.customer_aws_account_id',
                ['attributed.accepted_submitted_at', 'attributed.customer_aws_account_id'],
            ) }} filter (where attributed.has_success),
            {{ first_in_order(
                'attributed.customer_aws_account_id',
                ['attributed.first_submitted_at', 'attributed.customer_aws_account_id'],
            ) }}
        ) as customer_aws_account_id
    from attributed
    where attributed.is_known_customer
        and attributed.is_listed
        and attributed.organization_account_count > 1
    group by
        attributed.organization_id,
        attributed.product_code,
        attributed.dimension,
        attributed.usage_hour,
        attributed.usage_month

),

organization_accepted as (

    select * from single_account_accepted
    union all
    select * from multiple_account_accepted

),

metered_hours as (

    -- the expected and the accepted quantity of an organization's dimension and hour, one row
    -- from each side (each side has at most one row per key)
    select
        expected.organization_id,
        expected.dimension,
        expected.usage_hour,
        expected.usage_month,
        expected.product_code as expected_product_code,
        expected.price_per_unit as expected_price_per_unit,
        expected.quantity as expected_quantity,
        cast(null as string) as accepted_product_code,
        cast(null as decimal(38, 6)) as accepted_price_per_unit,
        cast(null as bigint) as accepted_quantity,
        cast(null as string) as first_status,
        cast(null as string) as customer_aws_account_id,
        false as is_metered,
        false as has_success
    from expected
    union all
    select
        organization_accepted.organization_id,
        organization_accepted.dimension,
        organization_accepted.usage_hour,
        organization_accepted.usage_month,
        cast(null as string) as expected_product_code,
        cast(null as decimal(38, 6)) as expected_price_per_unit,
        cast(null as bigint) as expected_quantity,
        organization_accepted.product_code as accepted_product_code,
        organization_accepted.price_per_unit as accepted_price_per_unit,
        organization_accepted.accepted_quantity,
        organization_accepted.first_status,
        organization_accepted.customer_aws_account_id,
        true as is_metered,
        organization_accepted.has_success
    from organization_accepted

),

compared as (

    select
        metered_hours.organization_id,
        coalesce(
            max(metered_hours.expected_product_code), max(metered_hours.accepted_product_code)
        ) as product_code,
        max(metered_hours.customer_aws_account_id) as metered_account_id,
        metered_hours.dimension,
        metered_hours.usage_hour,
        metered_hours.usage_month,
        coalesce(sum(metered_hours.expected_quantity), 0) as expected_quantity,
        coalesce(sum(metered_hours.accepted_quantity), 0) as accepted_quantity,
        coalesce(
            max(metered_hours.expected_price_per_unit), max(metered_hours.accepted_price_per_unit)
        ) as price_per_unit,
        max(metered_hours.first_status) as first_status,
        bool_or(metered_hours.is_metered) as has_metering,
        bool_or(metered_hours.has_success) as has_success
    from metered_hours
    group by
        metered_hours.organization_id,
        metered_hours.dimension,
        metered_hours.usage_hour,
        metered_hours.usage_month
    having coalesce(sum(metered_hours.expected_quantity), 0)
        != coalesce(sum(metered_hours.accepted_quantity), 0)

),

subscribed as (

    select
        compared.*,
        subscription_segments.customer_aws_account_id as subscribed_account_id,
        subscription_segments.organization_id is not null as is_subscribed
    from compared
    left join subscription_segments
        on compared.organization_id = subscription_segments.organization_id
        and compared.usage_hour >= subscription_segments.segment_start
        and (
            subscription_segments.segment_end is null
            or compared.usage_hour < subscription_segments.segment_end
        )

),

organization_exceptions as (

    select
        subscribed.organization_id,
        subscribed.product_code,
        coalesce(subscribed.metered_account_id, subscribed.subscribed_account_id)
            as customer_aws_account_id,
        subscribed.dimension,
        subscribed.usage_hour,
        subscribed.usage_month,
        subscribed.expected_quantity,
        subscribed.accepted_quantity,
        subscribed.price_per_unit,
        subscribed.first_status as status,
        case
            when subscribed.expected_quantity > 0 and not subscribed.is_subscribed
                then 'no_subscription'
            when not subscribed.has_metering then 'not_sent'
            when not subscribed.has_success then 'rejected'
            when subscribed.expected_quantity = 0 then 'unexpected'
            else 'quantity_mismatch'
        end as cause
    from subscribed

),

unattributed_exceptions as (

    select
        attributed.organization_id,
        attributed.product_code,
        attributed.customer_aws_account_id,
        attributed.dimension,
        attributed.usage_hour,
        attributed.usage_month,
        0 as expected_quantity,
        attributed.accepted_quantity,
        attributed.price_per_unit,
        attributed.first_status as status,
        case
            when not attributed.is_known_customer then 'unknown_customer'
            else 'unknown_dimension'
        end as cause
    from attributed
    where not attributed.is_known_customer
        or not attributed.is_listed

),

exceptions as (

    select * from organization_exceptions
    union all
    select * from unattributed_exceptions

),

final as (

    select
        cast(exceptions.organization_id as string) as organization_id,
        cast(exceptions.product_code as string) as product_code,
        cast(exceptions.customer_aws_account_id as string) as customer_aws_account_id,
        cast(exceptions.dimension as string) as dimension,
        exceptions.usage_hour,
        cast(exceptions.usage_month as date) as usage_month,
        cast(exceptions.expected_quantity as bigint) as expected_quantity,
        cast(exceptions.accepted_quantity as bigint) as accepted_quantity,
        cast(exceptions.expected_quantity - exceptions.accepted_quantity as bigint)
            as quantity_difference,
        cast(exceptions.price_per_unit as decimal(38, 6)) as price_per_unit,
        cast(
            cast(exceptions.expected_quantity - exceptions.accepted_quantity as decimal(38, 0))
            * exceptions.price_per_unit
            as decimal(38, 6)
        ) as amount_difference,
        cast(exceptions.status as string) as status,
        cast(exceptions.cause as string) as cause
    from exceptions

)

select * from final

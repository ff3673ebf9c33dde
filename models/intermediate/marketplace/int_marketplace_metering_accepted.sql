{{ month_incremental_config(repriced=true) }}

{#- One row per product, customer account, dimension and hour with at least one metering row
    (SPEC 9.1): the quantity AWS accepted, that of the earliest `Success` row by submitted_at
    (ties: the smallest metering_record_id, then source_file and file_row_number), 0 without
    one. A later Success for the same key (a resend) and DuplicateRecord answers are not
    honoured; a rejected batch that was retried is accepted by its retry. The status of the
    earliest row of all (same order) is the key's first_status.
    Nearly every key has a single row, which is its own answer: the rows are counted per hash
    of their key (one 64-bit number, far cheaper to group than the four columns), the rows
    whose hash is unique (so is their key) pass through as they are, and only the others are
    grouped by their key and ordered with every tie-break (a hash shared by two different keys
    only sends both through that exact path). Month-level incremental, like the Marketplace
    marts that read it: a build rewrites the months it reprices, so metering results that
    land later count from the next close or reconcile of their month. -#}
{%- set metering_order = [
    'metering.submitted_at',
    'metering.metering_record_id',
    'metering.source_file',
    'metering.file_row_number',
] %}
with

metering {{ inlined_cte() }} (

    -- read three times; each reading scans the landing again (cheaper than holding the month)
    select
        metering_records.*,
        hash(
            metering_records.product_code,
            metering_records.customer_aws_account_id,
            metering_records.dimension,
            metering_records.usage_hour
        ) as key_hash
    from {{ ref('stg_aws_marketplace__metering_records') }} as metering_records
    where {{ in_affected_months('metering_records.usage_month', repriced=true) }}

),

shared_hashes as (

    select metering.key_hash
    from metering
    group by metering.key_hash
    having count(*) > 1

),

single_rows as (

    select
        metering.product_code,
        metering.customer_aws_account_id,
        metering.dimension,
        metering.usage_hour,
        metering.usage_month,
        case when metering.status = 'Success' then metering.quantity else 0 end
            as accepted_quantity,
        case when metering.status = 'Success' then metering.submitted_at end
            as accepted_submitted_at,
        metering.status as first_status,
        metering.submitted_at as first_submitted_at,
        cast(1 as bigint) as metering_rows
    from metering
    anti join shared_hashes
        on metering.key_hash = shared_hashes.key_hash

),

repeated_keys as (

    select
        metering.product_code,
        metering.customer_aws_account_id,
        metering.dimension,
        metering.usage_hour,
        metering.usage_month,
        coalesce(
            {{ first_in_order('metering.quantity', metering_order) }} filter (
                where metering.status = 'Success'
            ),
            0
        ) as accepted_quantity,
        min(metering.submitted_at) filter (where metering.status = 'Success')
            as accepted_submitted_at,
        {{ first_in_order('metering.status', metering_order) }} as first_status,
        min(metering.submitted_at) as first_submitted_at,
        count(*) as metering_rows
    from metering
    semi join shared_hashes
        on metering.key_hash = shared_hashes.key_hash
    group by
        metering.product_code,
        metering.customer_aws_account_id,
        metering.dimension,
        metering.usage_hour,
        metering.usage_month

),

accepted as (

    select * from single_rows
    union all
    select * from repeated_keys

),

final as (

    select
        accepted.product_code,
        accepted.customer_aws_account_id,
        accepted.dimension,
        accepted.usage_hour,
        accepted.usage_month,
        cast(accepted.accepted_quantity as bigint) as accepted_quantity,
        accepted.accepted_submitted_at,
        accepted.first_status,
        accepted.first_submitted_at,
        accepted.accepted_submitted_at is not null as has_success,
        accepted.metering_rows
    from accepted

)

select * from final

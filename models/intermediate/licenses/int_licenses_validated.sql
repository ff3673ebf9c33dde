{#- One row per landed licence row with its outcome: `valid`, `duplicate` (an identical copy of
    a valid row, from any file) or `quarantined` with the first rule it breaks (see the licence
    rules); rows sharing a license_id with different contents are all `license_id_conflict`.
    Values are compared, never hashes. -#}
with

licenses as (

    select * from {{ ref('stg_usage_exports__licenses') }}

),

checked as (

    select
        licenses.*,
        {{ days_between('licenses.start_date', 'licenses.end_date') }} as term_days,
        case
            when licenses.license_id is null
                or licenses.organization_id is null
                or licenses.channel is null
                or licenses.term is null
                or licenses.aku_quota is null
                or licenses.start_date is null
                or licenses.end_date is null
                or licenses.currency is null
                then 'missing_field'
            when not {{ is_valid_id('licenses.license_id') }}
                or not {{ is_valid_id('licenses.organization_id') }}
                then 'invalid_id'
            when licenses.channel not in {{ sql_list(var('license_channels')) }}
                then 'unknown_channel'
            when licenses.term not in {{ sql_list(var('license_terms')) }}
                then 'unknown_term'
            when licenses.aku_quota < 1
                then 'invalid_quota'
            when licenses.currency not in {{ sql_list(var('currencies')) }}
                then 'unknown_currency'
            when licenses.price_per_aku < 0
                then 'negative_price'
            when licenses.term = 'monthly'
                and licenses.end_date != cast(licenses.start_date + interval 1 month as date)
                then 'invalid_term'
            when licenses.term = 'yearly'
                and licenses.end_date != cast(licenses.start_date + interval 12 month as date)
                then 'invalid_term'
            when licenses.term = 'trial'
                and (
                    licenses.end_date != licenses.start_date + 14
                    or licenses.aku_quota > 14
                    or coalesce(licenses.price_per_aku, 0) != 0
                )
                then 'invalid_term'
        end as validation_failure
    from licenses

),

contents as (

    select
        checked.*,
        {{ content_row([
            'license_id', 'source_file', 'file_row_number', 'term_days', 'validation_failure'
        ], 'checked') }} as row_content
    from checked

),

copies_numbered as (

    select
        {{ star_except('contents', ['row_content']) }},
        (
            contents.validation_failure is null
            and {{ differs_within('contents.row_content', 'license_window') }}
        ) as has_license_id_conflict,
        row_number() over (
            partition by contents.validation_failure is null, contents.license_id
            order by contents.source_file, contents.file_row_number
        ) as copy_number
    from contents
    window license_window as (
        partition by contents.validation_failure is null, contents.license_id
    )

),

final as (

    select
        {{ star_except(
            'copies_numbered', ['validation_failure', 'has_license_id_conflict', 'copy_number']
        ) }},
        case
            when copies_numbered.validation_failure is not null then 'quarantined'
            when copies_numbered.has_license_id_conflict then 'quarantined'
            when copies_numbered.copy_number > 1 then 'duplicate'
            else 'valid'
        end as outcome,
        case
            when copies_numbered.validation_failure is not null
                then copies_numbered.validation_failure
            when copies_numbered.has_license_id_conflict then 'license_id_conflict'
        end as quarantine_reason
    from copies_numbered

)

select * from final

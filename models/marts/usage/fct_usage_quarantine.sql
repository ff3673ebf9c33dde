{{ month_incremental_config() }}

{#- One row per quarantined landed usage row: every landed column, the reason (SPEC 1.1) and the
    row's key (source_file, file_row_number). Rows with a null hour_start have a null usage_month
    and are reported by every close. -#}
with

classified as (

    select * from {{ ref('int_usage_events_classified') }} as classified_events
    where classified_events.outcome = 'quarantined'
        and {{ in_affected_months('classified_events.usage_month') }}

),

final as (

    select
        classified.event_id,
        classified.organization_id,
        classified.environment_id,
        classified.instance_id,
        classified.cloud_provider,
        classified.region,
        classified.pricing_mode,
        classified.cluster_tier,
        classified.meter,
        classified.hour_start,
        classified.quantity,
        classified.emitted_at,
        classified.quarantine_reason as reason,
        classified.source_file,
        classified.file_row_number,
        classified.usage_month
    from classified

)

select * from final

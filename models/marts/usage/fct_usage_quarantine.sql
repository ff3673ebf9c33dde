{#- One row per quarantined landed usage row: every landed column, the reason (SPEC 1.1) and the
    file it came from. Rows with a null hour_start have a null usage_month and are reported by
    every close. -#}
with

classified as (

    select * from {{ ref('int_usage_events_classified') }}

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
        classified.usage_month
    from classified
    where classified.outcome = 'quarantined'

)

select * from final

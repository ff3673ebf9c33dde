{{ config(materialized='table') }}

{#- One row per usage month whose month-level models that depend on reference data (capacity
    specs, the Marketplace listing) this build rewrites: the affected months and the month the
    running close produces, so a close always uses the reference data in force. -#}
with

affected_months as (

    select * from {{ ref('int_usage_months_affected') }}

),

run_context as (

    select * from {{ ref('stg_control__run_context') }}

),

final as (

    select affected_months.usage_month from affected_months
    union
    select run_context.close_month from run_context

)

select * from final

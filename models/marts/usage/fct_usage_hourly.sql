{{ config(materialized='view') }}

{#- The hourly usage of int_usage_hours_pivoted, published for analysts and the marts that read
    hours; a view, so it costs nothing to build and the intermediate layer never reads a mart. -#}
with

hours as (

    select * from {{ ref('int_usage_hours_pivoted') }}

),

final as (

    select * from hours

)

select * from final

{#- One row per journal line of the month being closed (SPEC 12.3); the rules are in int_journal_lines_booked. -#}
with

final as (

    select * from {{ ref('int_journal_lines_booked') }}

)

select * from final

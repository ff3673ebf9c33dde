{#- One row per journal line of the AWS Marketplace side of a month (SPEC 12.3); the rules are
    in int_marketplace_journal_lines. -#}
with

final as (

    select * from {{ ref('int_marketplace_journal_lines') }}

)

select * from final

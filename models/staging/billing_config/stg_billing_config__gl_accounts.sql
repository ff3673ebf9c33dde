{#- One row per general-ledger account the journal posts to, with its role (SPEC 12.3). -#}
with

source as (

    select * from {{ ref('gl_accounts') }}

),

final as (

    select
        cast(source.code as varchar(32)) as account_code,
        cast(source.name as varchar(200)) as account_name,
        cast(source.role as varchar(64)) as account_role
    from source

)

select * from final

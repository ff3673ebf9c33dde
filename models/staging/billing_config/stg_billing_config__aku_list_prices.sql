{#- One row per effective_from and licence term: the list price per AKU for the whole term. -#}
with

source as (

    select * from {{ ref('aku_list_prices') }}

),

renamed as (

    select
        cast(source.effective_from as date) as effective_from,
        cast(source.term as varchar) as term,
        cast(source.price_per_aku as decimal(38, 6)) as price_per_aku
    from source

)

select * from renamed

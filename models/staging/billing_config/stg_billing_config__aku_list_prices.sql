{#- One row per effective_from and licence term: the list price per AKU for the whole term, in
    force from effective_from to the term's next price (`effective_to`, null for the latest). -#}
with

source as (

    select * from {{ ref('aku_list_prices') }}

),

renamed as (

    select
        cast(source.effective_from as date) as effective_from,
        cast(source.term as string) as term,
        cast(source.price_per_aku as decimal(38, 6)) as price_per_aku
    from source

),

final as (

    select
        renamed.*,
        {{ next_effective_from('renamed.effective_from', partition_by='renamed.term') }}
            as effective_to
    from renamed

)

select * from final

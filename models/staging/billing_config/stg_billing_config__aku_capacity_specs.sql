{#- One row per capacity spec version, in force from effective_from to the next version's
    (`effective_to`, null for the latest). The per-AKU rates are also given in integer millionths
    of a MiB/s, so the AKU quotient can be computed exactly in integers. -#}
with

source as (

    select * from {{ ref('aku_capacity_specs') }}

),

renamed as (

    select
        cast(source.spec_version as string) as spec_version,
        cast(source.effective_from as date) as effective_from,
        cast(source.write_mib_per_s_per_aku as decimal(38, 6)) as write_mib_per_s_per_aku,
        cast(source.read_mib_per_s_per_aku as decimal(38, 6)) as read_mib_per_s_per_aku,
        cast(cast(source.write_mib_per_s_per_aku as decimal(38, 6)) * 1000000 as {{ wide_int() }})
            as write_micro_mib_per_s_per_aku,
        cast(cast(source.read_mib_per_s_per_aku as decimal(38, 6)) * 1000000 as {{ wide_int() }})
            as read_micro_mib_per_s_per_aku,
        cast(source.combine as string) as combine,
        cast(source.min_aku as integer) as min_aku,
        cast(source.max_aku as integer) as max_aku
    from source

),

final as (

    select
        renamed.*,
        {{ next_effective_from('renamed.effective_from') }} as effective_to
    from renamed

)

select * from final

{#- One row per final month F before the month being closed and line key (organization_id,
    billing_item, tier, cluster_tier, license_id): F's issued position (SPEC 8), the usage and
    subscription lines of F's final version plus the adjustment lines for F booked in the final
    versions of the months between F and the month being closed (F's own adjustment lines
    correct earlier months). The unit price, unit and rate card version are those the line was
    first issued with: on F's statement, or on the first adjustment that booked it. -#}
with

issued_lines as (

    select * from {{ ref('stg_ledger__issued_statement_lines') }}

),

final_months as (

    select * from {{ ref('stg_ledger__final_months') }}

),

positions as (

    select
        coalesce(issued_lines.adjusted_month, issued_lines.statement_month) as issued_month,
        issued_lines.*
    from issued_lines
    where issued_lines.line_type != 'adjustment'
        or issued_lines.adjusted_month is not null

),

final as (

    select
        positions.issued_month,
        positions.organization_id,
        positions.billing_item,
        positions.tier,
        positions.cluster_tier,
        positions.license_id,
        cast(sum(positions.quantity) as decimal(38, 6)) as issued_quantity,
        cast(sum(positions.amount) as decimal(38, 2)) as issued_amount,
        min_by(positions.unit_price, positions.statement_month) as first_unit_price,
        min_by(positions.unit, positions.statement_month) as first_unit,
        min_by(positions.rate_card_version, positions.statement_month) as first_rate_card_version,
        count(*) as issued_lines
    from positions
    semi join final_months
        on positions.issued_month = final_months.statement_month
    group by
        positions.issued_month,
        positions.organization_id,
        positions.billing_item,
        positions.tier,
        positions.cluster_tier,
        positions.license_id

)

select * from final

{#- One row per charge line of a monthly statement (SPEC 5, 8), identified by statement_month,
    organization_id, line_type, billing_item, tier, cluster_tier, license_id and adjusted_month:
    the usage and subscription lines of every month as the current landing rates them, and the
    adjustment lines that the running close books for the final months it re-rated, each with
    the party that invoices it (SPEC 10.2). -#}
with

final as (

    select * from {{ ref('int_statement_lines_invoiced') }}

)

select * from final

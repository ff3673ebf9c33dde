"""The demo's usage rows: the world's special cases and every imperfection an exporter
commits, each present in the landed data where the notes say. (Which rows the warehouse rates,
supersedes or quarantines is the warehouse's business: no test here predicts it.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from demo_support import MONTHS, REPO, Demo

from automq_billing.demo.clock import Span
from automq_billing.demo.imperfections import Imperfections, quarantine_scenario
from automq_billing.demo.reference import Reference
from automq_billing.demo.rows import UsageCodes
from automq_billing.demo.usage import base_rows
from automq_billing.demo.world import build_world
from automq_billing.vocabulary import Vocabulary, read_seed

pytestmark = pytest.mark.unit

UTC = dt.UTC
GIB = 2**30
# the defect each quarantine scenario plants, as a condition on a landed row
DEFECTS = {
    "missing_field": "event_id IS NULL OR organization_id IS NULL OR hour_start IS NULL "
    "OR quantity IS NULL OR (cluster_tier IS NULL AND pricing_mode = 'usage_based' "
    "AND meter = 'uptime_seconds')",
    "invalid_id": "event_id = '' OR organization_id LIKE ' %' OR instance_id LIKE '% ' "
    "OR environment_id LIKE '%' || chr(7) || '%'",
    "unknown_meter": "meter = 'partition_count'",
    "unknown_pricing_mode": "pricing_mode = 'on_demand'",
    "unknown_cluster_tier": "cluster_tier = 'premium'",
    "negative_quantity": "quantity < 0",
    "misaligned_hour": "minute(hour_start) <> 0",
    "uptime_out_of_range": "meter = 'uptime_seconds' AND quantity > 3600",
    "future_hour": "hour_start > emitted_at",
}


def test_every_quarantine_reason_of_the_vocabulary_has_a_scenario(
    demo: Demo, vocabulary: Vocabulary
) -> None:
    reasons = vocabulary.usage_quarantine_reasons
    added = demo.notes["usage_scenarios"]["rows_added_per_quarantine_scenario"]
    assert list(added) == list(reasons)
    assert all(added[r] > 0 for r in reasons)
    with pytest.raises(ValueError, match="no scenario for the quarantine reason"):
        quarantine_scenario("cosmic_ray")


@pytest.mark.parametrize("reason", sorted(DEFECTS))
def test_each_planted_defect_is_in_the_data(demo: Demo, reason: str) -> None:
    found = demo.one(f"SELECT count(*) FROM usage WHERE {DEFECTS[reason]}")  # noqa: S608
    assert found > 0, reason


def test_every_kind_of_invalid_id_is_landed(demo: Demo) -> None:
    examples = demo.notes["usage_scenarios"]["invalid_ids"]
    assert {e["column"] for e in examples} == {
        "event_id",
        "organization_id",
        "environment_id",
        "instance_id",
    }
    for example in examples:
        sql = f"SELECT count(*) FROM usage WHERE {example['column']} = ?"  # noqa: S608
        assert demo.one(sql, [example["value"]]) > 0, example


def test_rows_without_hour_start(demo: Demo) -> None:
    assert demo.one("SELECT count(*) FROM usage WHERE hour_start IS NULL") >= 3
    files = demo.rows("SELECT DISTINCT file FROM usage WHERE hour_start IS NULL")
    assert all("redelivery" in f for (f,) in files)


def test_event_id_conflicts(demo: Demo) -> None:
    conflicts = demo.one(
        "SELECT count(*) FROM (SELECT event_id FROM usage WHERE event_id <> '' "
        "GROUP BY event_id HAVING count(DISTINCT quantity) > 1)"
    )
    assert conflicts > 0


@pytest.mark.parametrize("column", ["organization_id", "cluster_tier"])
def test_measurement_ties_that_differ_in_one_column_only(demo: Demo, column: str) -> None:
    tie = demo.notes["usage_scenarios"]["measurement_conflict_ties"][
        "organization" if column == "organization_id" else column
    ]
    rows = demo.rows(
        "SELECT DISTINCT * EXCLUDE (event_id, file) FROM usage WHERE instance_id = ? "
        "AND hour_start = ?::TIMESTAMPTZ AND meter = ? AND emitted_at = (SELECT max(emitted_at) "
        "FROM usage WHERE instance_id = ? AND hour_start = ?::TIMESTAMPTZ AND meter = ?)",
        [tie["instance_id"], tie["hour_start"], tie["meter"]] * 2,
    )
    assert len(rows) == 2
    names = [
        d[0]
        for d in demo.con.execute(
            "SELECT * EXCLUDE (event_id, file) FROM usage LIMIT 0"
        ).description
    ]
    differing = [n for i, n in enumerate(names) if rows[0][i] != rows[1][i]]
    assert differing == [column]


def test_duplicates_in_the_same_and_in_a_late_file(demo: Demo) -> None:
    same, across = demo.con.execute(
        "SELECT count(*) FILTER (WHERE files = 1), count(*) FILTER (WHERE files > 1) FROM ("
        "  SELECT count(DISTINCT file) AS files FROM usage WHERE event_id <> '' GROUP BY "
        "  event_id, organization_id, environment_id, instance_id, cloud_provider, region,"
        "  pricing_mode, cluster_tier, meter, hour_start, quantity, emitted_at"
        "  HAVING count(*) > 1)"
    ).fetchone()
    written = demo.notes["usage_scenarios"]["exact_duplicates"]
    assert same >= written["same_file"] > 0
    assert across >= written["late_file"] > 0


def test_restatements_come_later_and_some_twice(demo: Demo) -> None:
    counts = demo.rows(
        "SELECT n, count(*) FROM (SELECT count(DISTINCT emitted_at) n FROM usage "
        "WHERE quantity >= 0 AND event_id <> '' AND hour_start <= emitted_at "
        "GROUP BY instance_id, hour_start, meter) GROUP BY n"
    )
    by_versions = dict(counts)
    assert by_versions.get(2, 0) > 0 and by_versions.get(3, 0) > 0
    on_time = demo.one(
        "SELECT avg(CASE WHEN emitted_at - hour_start BETWEEN INTERVAL 61 MINUTE "
        "AND INTERVAL 76 MINUTE THEN 1 ELSE 0 END) FROM usage WHERE hour_start IS NOT NULL"
    )
    assert on_time > 0.9
    invalid = demo.notes["usage_scenarios"]["invalid_restatements"]
    newest = demo.rows(
        "SELECT quantity FROM usage WHERE instance_id = ? AND hour_start = ?::TIMESTAMPTZ "
        "AND meter = ? ORDER BY emitted_at DESC LIMIT 1",
        [invalid["instance_id"], invalid["hour_start"], invalid["meter"]],
    )
    assert newest[0][0] < 0


def test_only_noisy_organizations_change_their_rated_values() -> None:
    """Restatements and conflicts come from the noisy organizations only, so that the others'
    usage is rated as measured (and their Marketplace metering can match)."""
    reference = Reference(REPO)
    span = Span.of(MONTHS)
    rng = np.random.Generator(np.random.PCG64(5))
    world = build_world(rng, 8, span, reference)
    codes = UsageCodes.of(reference)
    imperfections = Imperfections(rng, base_rows(rng, world, codes), world, codes)
    noisy = set(world.roles.noisy)
    assert noisy and len(noisy) < world.organizations
    for step in (
        imperfections.restatements,
        imperfections.event_id_conflict,
        imperfections.measurement_conflict,
    ):
        rows = step()
        measured = imperfections.base
        keys = {
            (i, h, m) for i, h, m in zip(rows["inst"], rows["hour"], rows["meter"], strict=True)
        }
        touched = [
            o
            for o, i, h, m in zip(
                measured["org"], measured["inst"], measured["hour"], measured["meter"], strict=True
            )
            if (i, h, m) in keys
        ]
        assert touched and set(touched) <= noisy, step


def test_organization_sizes_cross_the_ingress_tiers(demo: Demo) -> None:
    tiers = [r for r in read_seed(REPO, "rate_card_tiers") if r["billing_item"] == "data_ingress"]
    bounds = sorted(r["lower_bound"] for r in tiers)
    gib = {
        org: Decimal(total) / GIB
        for org, total in demo.rows(
            "SELECT organization_id, sum(quantity) FROM usage WHERE meter = 'ingress_bytes' "
            "AND pricing_mode = 'usage_based' AND quantity >= 0 AND file LIKE '%month=2026-10%' "
            "GROUP BY ALL"
        )
    }
    assert gib[demo.notes["tier3_ingress_organization"]] > bounds[2]
    assert bounds[1] < gib[demo.notes["tier2_ingress_organization"]] < bounds[2]
    assert gib[demo.notes["tier1_only_organization"]] < bounds[1]


def test_the_world_special_cases(demo: Demo) -> None:
    upgrade = demo.notes["tier_upgrade"]
    tiers = demo.rows(
        "SELECT cluster_tier, min(hour_start), max(hour_start) FROM usage WHERE instance_id = ? "
        "AND meter = 'uptime_seconds' AND cluster_tier IN (?, ?) AND file LIKE '%month=%' "
        "GROUP BY 1 ORDER BY 2",
        [upgrade["instance_id"], upgrade["from_tier"], upgrade["to_tier"]],
    )
    assert [t[0] for t in tiers] == [upgrade["from_tier"], upgrade["to_tier"]]
    assert tiers[1][1] == dt.datetime.fromisoformat(upgrade["from_hour"])
    short = demo.notes["short_lived_instance"]
    uptime = demo.rows(
        "SELECT DISTINCT hour_start, quantity FROM usage WHERE instance_id = ? "
        "AND meter = 'uptime_seconds' AND file LIKE '%month=%' ORDER BY 1",
        [short["instance_id"]],
    )
    assert [q for _, q in uptime] == [600, 930]  # 10:50-11:00 and 11:00-11:15:30
    created = demo.notes["mid_month_created_instance"]
    first_hour = demo.one(
        "SELECT min(hour_start) FROM usage WHERE instance_id = ? AND file LIKE '%month=%'",
        [created["instance_id"]],
    )
    assert first_hour.day > 1
    deleted = demo.notes["mid_month_deleted_instance"]
    last_hour = demo.one(
        "SELECT max(hour_start) FROM usage WHERE instance_id = ? AND file LIKE '%month=%'",
        [deleted["instance_id"]],
    )
    assert dt.datetime(2026, 10, 1, tzinfo=UTC) < last_hour < dt.datetime(2026, 10, 31, tzinfo=UTC)
    reader = demo.notes["batch_reader_organization"]
    hours_read = demo.one(
        "SELECT count(DISTINCT hour_start) FROM usage WHERE organization_id = ? "
        "AND pricing_mode = 'usage_based' AND meter = 'egress_bytes' AND quantity > 0 "
        "AND file LIKE '%month=2026-10%'",
        [reader],
    )
    assert 0 < hours_read <= 15  # three Sunday hours a week


def test_the_corrections_of_an_issued_month(demo: Demo) -> None:
    corrections = demo.notes["corrections"]["2026-09"]
    file = demo.notes["usage_files"]["2026-09"]["corrections"]
    for case, direction in (("raised_ingress", 1), ("lowered_ingress", -1), ("zeroed_egress", 0)):
        note = corrections[case]
        assert (note["quantity_after"] > note["quantity_before"]) == (direction > 0)
        restated = demo.rows(
            "SELECT DISTINCT organization_id, meter FROM usage WHERE file LIKE ? "
            "AND organization_id = ?",
            [f"%{file}", note["organization_id"]],
        )
        assert len(restated) == 1, case
    zeroed = corrections["zeroed_egress"]["organization_id"]
    left = demo.one(
        "SELECT count(*) FROM usage WHERE file LIKE ? AND organization_id = ? AND quantity <> 0",
        [f"%{file}", zeroed],
    )
    assert left == 0
    # every egress byte the batch reader read in September is restated to 0
    read = demo.one(
        "SELECT count(DISTINCT (instance_id, hour_start)) FROM usage WHERE organization_id = ? "
        "AND pricing_mode = 'usage_based' AND meter = 'egress_bytes' AND quantity > 0 "
        "AND file LIKE '%month=2026-09%'",
        [zeroed],
    )
    assert read == corrections["zeroed_egress"]["rows"]

"""The demo's world: organizations, environments and instances, with the special cases the
warehouse must handle (SPEC 1, 3, 4):

- organization sizes on a log scale, one crossing into ingress tier 3, one into tier 2 and one
  staying in tier 1 (their bounds read from the rate card);
- a tier upgrade (pro -> enterprise on an hour boundary), a short-lived dev cluster (two partial
  hours), an instance created and one deleted mid-month;
- an organization whose consumers read only in a weekly batch (its egress lives in a few hours);
- prepaid environments: a heavy one whose peaks need more AKUs than its licence gives, and the
  environments of the licence scenarios (split, renewal, negotiated contract, trial);
- the "noisy" organizations, whose exporters restate and conflict (the others' usage stays as
  generated, so that their Marketplace metering can match).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from automq_billing.demo.clock import Span, iso, midnight
from automq_billing.demo.reference import Reference, Tier
from automq_billing.demo.rows import REGIONS_BY_PROVIDER, Names, region_code

GIB = 2**30
MIB = 2**20
DAY_S = 86400
FAR_FUTURE_S = 10 * 365 * DAY_S
_PROVIDER_WEIGHTS = {"aws": 0.7, "azure": 0.18, "gcp": 0.12}
_TIER_WEIGHTS = {"dev": 0.25, "pro": 0.45, "enterprise": 0.30}


@dataclass
class Instance:
    org: int
    env: int
    pricing_mode: str
    cluster_tier: str | None
    created_s: int  # seconds from the span's start (negative: before it)
    deleted_s: int
    rate: float  # ingress bytes in a full hour at the daily mean
    fanout: float
    retention_h: float
    ret_amp: float
    ret_growth: float
    ret_phase: float
    peak_w: float  # write peak over the hour's average
    peak_r: float
    heavy_w: float = 0.0  # heavy prepaid instances: mean write / read peaks (bytes/s)
    heavy_r: float = 0.0
    upgrade: tuple[int, str] | None = None  # (hour offset, tier) from which the tier changes
    drop_read_peak: bool = False  # some hours lack the read peak meter (counts as 0)
    batch_reads: bool = False  # its consumers read only in the weekly batch hours


@dataclass(frozen=True)
class Environment:
    org: int
    provider: str
    region: int  # code into rows.REGION_KEYS


@dataclass(frozen=True)
class Roles:
    """Which organization (index) plays which part; None when there are too few of them."""

    tier3: int
    tier2: int | None
    upgrade: int | None
    heavy: int
    tier1_only: int | None
    batch_reader: int | None
    noisy: tuple[int, ...]

    @classmethod
    def of(cls, orgs: int) -> Roles:
        tier2 = 1 if orgs >= 3 else None
        heavy = 2 if orgs >= 4 else 0
        return cls(
            tier3=0,
            tier2=tier2,
            upgrade=1 if orgs >= 2 else None,
            heavy=heavy,
            tier1_only=orgs - 1 if orgs >= 2 else None,
            batch_reader=3 if orgs >= 5 else None,
            noisy=tuple(sorted({0, heavy} | ({tier2} if tier2 is not None else set()))),
        )


@dataclass(frozen=True)
class LicencePlan:
    """The prepaid environments the licence scenarios are written for."""

    heavy_env: int
    split_org: int
    split_envs: tuple[int, int]
    renewal_org: int
    renewal_env: int
    negotiated_env: int  # of the renewal organization
    trial_org: int
    trial_env: int
    trial_start: dt.date
    conversion_start: dt.date


@dataclass
class World:
    span: Span
    names: Names
    environments: list[Environment]
    instances: list[Instance]
    roles: Roles
    plan: LicencePlan
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def organizations(self) -> int:
        return len({e.org for e in self.environments})

    def prepaid_environments(self) -> list[tuple[int, int]]:
        """(org, env) of every environment with a prepaid instance, by environment."""
        pairs = {(i.org, i.env) for i in self.instances if i.pricing_mode == "prepaid"}
        return sorted(pairs, key=lambda pair: pair[1])


def ingress_sizes(rng: np.random.Generator, orgs: int, roles: Roles, tiers: tuple[Tier, ...]):
    """Monthly usage-based ingress per organization (GiB), log-uniform, with the tier cases."""

    def inside(tier: int) -> float:  # three times the tier's lower bound, well inside it
        lower = tiers[min(tier, len(tiers)) - 1].lower
        return 3.0 * float(lower) if lower > 0 else 100.0

    sizes = np.exp(rng.uniform(math.log(150), math.log(20_000), size=orgs))
    sizes[roles.tier3] = inside(3)
    if roles.tier2 is not None:
        sizes[roles.tier2] = inside(2)
    if roles.tier1_only is not None:
        sizes[roles.tier1_only] = inside(2) / 1200.0
    return sizes


class _Builder:
    """Adds organizations, environments and instances, drawing from one random stream."""

    def __init__(self, rng: np.random.Generator, span: Span, reference: Reference) -> None:
        self.rng = rng
        self.span = span
        self.reference = reference
        self.span_s = span.hours * 3600
        self.names = Names(orgs=[], envs=[], insts=[])
        self.environments: list[Environment] = []
        self.instances: list[Instance] = []
        self._seen: set[str] = set()

    def new_id(self, prefix: str, nbytes: int) -> str:
        while (value := prefix + self.rng.bytes(nbytes).hex()) in self._seen:
            pass
        self._seen.add(value)
        return value

    def seconds(self, day: dt.date, hour: int = 0, minute: int = 0, second: int = 0) -> int:
        return (day - self.span.start).days * DAY_S + hour * 3600 + minute * 60 + second

    def new_env(self, org: int, provider: str | None = None) -> int:
        if provider is None:
            providers = list(_PROVIDER_WEIGHTS)
            provider = str(self.rng.choice(providers, p=list(_PROVIDER_WEIGHTS.values())))
        regions = REGIONS_BY_PROVIDER[provider]
        region = regions[int(self.rng.integers(len(regions)))]
        self.names.envs.append(self.new_id("env-", 5))
        self.environments.append(Environment(org, provider, region_code(provider, region)))
        return len(self.environments) - 1

    def usage_tier(self) -> str:
        tiers = self.reference.names("cluster_tiers")
        weights = np.array([_TIER_WEIGHTS.get(t, 0.2) for t in tiers])
        return str(tiers[int(self.rng.choice(len(tiers), p=weights / weights.sum()))])

    def instance(self, org: int, env: int, mode: str, rate: float, **fixed: Any) -> Instance:
        """An instance alive through the span (callers change its lifetime), shape drawn."""
        rng = self.rng
        instance = Instance(
            org=org,
            env=env,
            pricing_mode=self.reference.name("pricing_modes", mode),
            cluster_tier=self.usage_tier() if mode == "usage_based" else None,
            created_s=-int(rng.integers(1, 400)) * DAY_S - int(rng.integers(0, DAY_S)),
            deleted_s=self.span_s + FAR_FUTURE_S,
            rate=rate,
            fanout=float(rng.uniform(0.8, 3.0)),
            retention_h=float(rng.choice([24.0, 72.0, 168.0])),
            ret_amp=float(rng.uniform(0.05, 0.25)),
            ret_growth=float(rng.uniform(-0.3, 0.6)),
            ret_phase=float(rng.uniform(0, 2 * math.pi)),
            peak_w=float(rng.uniform(1.3, 2.2)),
            peak_r=float(rng.uniform(1.5, 3.0)),
        )
        for name, value in fixed.items():
            setattr(instance, name, value)
        self.instances.append(instance)
        self.names.insts.append(self.new_id("kf-", 6))
        return instance

    def add_organization(self, org: int, ingress_gib: float, roles: Roles) -> None:
        """An organization: 1-6 instances over 1-3 environments; the first environment is
        usage-based, later ones are prepaid now and then (not for the tier cases)."""
        rng = self.rng
        self.names.orgs.append(self.new_id("org-", 4))
        if org == roles.tier3:
            n_inst = 6
        elif org == roles.tier1_only:
            n_inst = int(rng.integers(1, 3))
        elif org == roles.upgrade:
            n_inst = int(rng.integers(3, 7))
        else:
            n_inst = int(rng.integers(1, 7))
        n_env = 1 if org == roles.tier1_only else min(n_inst, int(rng.integers(1, 4)))
        on_aws = org in (roles.tier3, roles.tier1_only)
        envs = [self.new_env(org, "aws" if on_aws and k == 0 else None) for k in range(n_env)]
        protected = (roles.tier3, roles.upgrade, roles.tier1_only)
        prepaid = {
            e: org not in protected and k > 0 and rng.random() < 0.35 for k, e in enumerate(envs)
        }
        weights = (
            np.ones(1)
            if n_inst == 1
            else np.concatenate([[0.6], 0.4 * rng.dirichlet(np.ones(n_inst - 1))])
        )
        org_rate = ingress_gib * GIB / 730.0
        for k in range(n_inst):
            env = envs[k % n_env]
            mode = "prepaid" if prepaid[env] else "usage_based"
            instance = self.instance(org, env, mode, org_rate * weights[k])
            if k > 0 and not (org == roles.tier3 and k >= 3):
                self.vary_lifetime(instance)
            instance.batch_reads = org == roles.batch_reader and mode == "usage_based"
        if org == roles.tier3:
            self.lifetime_cases(self.instances[-6:])
        if org == roles.upgrade:
            self.tier_upgrade(self.instances[-n_inst])

    def vary_lifetime(self, instance: Instance) -> None:
        """Now and then created or deleted inside the span."""
        rng = self.rng
        if rng.random() < 0.3:
            instance.created_s = int(rng.integers(3600, max(3601, self.span_s - 3 * DAY_S)))
        if rng.random() < 0.25:
            low = max(instance.created_s, 0) + DAY_S
            instance.deleted_s = int(rng.integers(low, self.span_s + DAY_S))

    def lifetime_cases(self, instances: list[Instance]) -> None:
        """The tier-3 organization's instances 4-6: deleted mid (last) month, created mid
        (first) month, and a dev cluster that lives 25.5 minutes (two partial hours)."""
        rng = self.rng
        deleted, created, short = instances[3:6]
        deleted.deleted_s = self.span_s - int(rng.integers(5 * DAY_S, 12 * DAY_S)) + 1234
        created.created_s = int(rng.integers(10 * DAY_S, 20 * DAY_S)) + 1717
        short.pricing_mode = self.reference.name("pricing_modes", "usage_based")
        short.cluster_tier = self.reference.name("cluster_tiers", "dev")
        short.created_s = self.seconds(self.span.start.replace(day=9), 10, 50)
        short.deleted_s = short.created_s + 25 * 60 + 30

    def tier_upgrade(self, instance: Instance) -> None:
        """pro until the 15th of the first month 13:00, enterprise from then on."""
        instance.pricing_mode = self.reference.name("pricing_modes", "usage_based")
        instance.cluster_tier = self.reference.name("cluster_tiers", "pro")
        hour = self.seconds(self.span.start.replace(day=15), 13) // 3600
        instance.upgrade = (hour, self.reference.name("cluster_tiers", "enterprise"))

    def add_heavy_environment(self, org: int) -> int:
        """An AWS environment of two prepaid instances running at high peaks (150-220 MiB/s
        written, 300-450 MiB/s read); the second misses its read peak meter now and then."""
        env = self.new_env(org, "aws")
        for _ in range(2):
            self.instance(
                org,
                env,
                "prepaid",
                0.0,
                created_s=-90 * DAY_S,
                fanout=float(self.rng.uniform(1.5, 2.5)),
                retention_h=72.0,
                peak_w=1.0,
                peak_r=1.0,
                heavy_w=float(self.rng.uniform(150, 220)) * MIB,
                heavy_r=float(self.rng.uniform(300, 450)) * MIB,
            )
        self.instances[-1].drop_read_peak = True
        return env

    def add_licence_environments(self, roles: Roles, heavy_env: int, orgs: int) -> LicencePlan:
        """One light prepaid instance in each environment of the licence scenarios: a licence
        split over two environments, a renewal chain, a negotiated contract and a trial."""
        others = [(roles.heavy + 1 + k) % orgs for k in range(orgs - 1)] or [roles.heavy]
        split_org, renewal_org, trial_org = (others[k % len(others)] for k in range(3))
        split_envs = (self.new_env(split_org, "gcp"), self.new_env(split_org, "gcp"))
        renewal_env = self.new_env(renewal_org, "alibaba")
        negotiated_env = self.new_env(renewal_org, "aws")
        trial_env = self.new_env(trial_org, "azure")
        trial_start, conversion_start = trial_dates(self.span)
        for env in (*split_envs, renewal_env, negotiated_env, trial_env):
            peak_w = float(self.rng.uniform(1.4, 2.0))
            rate = float(self.rng.uniform(12, 40)) * MIB * 3600 / peak_w
            instance = self.instance(
                self.environments[env].org,
                env,
                "prepaid",
                rate,
                peak_w=peak_w,
                peak_r=float(self.rng.uniform(1.5, 2.5)),
            )
            if env == trial_env:
                instance.created_s = self.seconds(trial_start, 10, 23, 17)
        return LicencePlan(
            heavy_env=heavy_env,
            split_org=split_org,
            split_envs=split_envs,
            renewal_org=renewal_org,
            renewal_env=renewal_env,
            negotiated_env=negotiated_env,
            trial_org=trial_org,
            trial_env=trial_env,
            trial_start=trial_start,
            conversion_start=conversion_start,
        )


def trial_dates(span: Span) -> tuple[dt.date, dt.date]:
    """(trial start, conversion start). The conversion (a monthly licence) starts on the 31st of
    the first month of the span followed by a shorter one, so that its end date is clamped
    (2026-10-31 + 1 month = 2026-11-30); else the trial starts on the 4th of the first month."""
    for month in span.months:
        if month.month in (1, 3, 5, 8, 10):
            conversion = month.replace(day=31)
            return conversion - dt.timedelta(days=14), conversion
    trial = span.start + dt.timedelta(days=3)
    return trial, trial + dt.timedelta(days=14)


def build_world(rng: np.random.Generator, orgs: int, span: Span, reference: Reference) -> World:
    roles = Roles.of(orgs)
    builder = _Builder(rng, span, reference)
    sizes = ingress_sizes(rng, orgs, roles, reference.rate_tiers(span.start)["data_ingress"])
    for org in range(orgs):
        builder.add_organization(org, float(sizes[org]), roles)
    heavy_env = builder.add_heavy_environment(roles.heavy)
    plan = builder.add_licence_environments(roles, heavy_env, orgs)
    world = World(span, builder.names, builder.environments, builder.instances, roles, plan)
    world.notes = world_notes(world)
    return world


def world_notes(world: World) -> dict[str, Any]:
    """The world's scenarios, by id (GenerateSummary.notes)."""
    names, roles = world.names, world.roles
    org_ids = names.orgs

    def org_id(org: int | None) -> str | None:
        return None if org is None else org_ids[org]

    def lifetime(index: int) -> dict[str, str]:
        instance = world.instances[index]
        start = midnight(world.span.start)
        return {
            "organization_id": org_ids[instance.org],
            "instance_id": names.insts[index],
            "created_at": iso(start + dt.timedelta(seconds=instance.created_s)),
            "deleted_at": iso(start + dt.timedelta(seconds=instance.deleted_s)),
        }

    tier3_first = next(i for i, x in enumerate(world.instances) if x.org == roles.tier3)
    notes: dict[str, Any] = {
        "tier3_ingress_organization": org_id(roles.tier3),
        "tier2_ingress_organization": org_id(roles.tier2),
        "tier1_only_organization": org_id(roles.tier1_only),
        "batch_reader_organization": org_id(roles.batch_reader),
        "noisy_organizations": [org_ids[o] for o in roles.noisy],
        "mid_month_deleted_instance": lifetime(tier3_first + 3),
        "mid_month_created_instance": lifetime(tier3_first + 4),
        "short_lived_instance": lifetime(tier3_first + 5),
        "prepaid_heavy_environment": names.envs[world.plan.heavy_env],
        "prepaid_environments": sorted(names.envs[env] for _, env in world.prepaid_environments()),
    }
    upgraded = [(i, x) for i, x in enumerate(world.instances) if x.upgrade is not None]
    for index, instance in upgraded:
        assert instance.upgrade is not None
        hour, tier = instance.upgrade
        notes["tier_upgrade"] = {
            "organization_id": org_ids[instance.org],
            "instance_id": names.insts[index],
            "from_tier": instance.cluster_tier,
            "to_tier": tier,
            "from_hour": iso(midnight(world.span.start) + dt.timedelta(hours=hour)),
        }
    return notes

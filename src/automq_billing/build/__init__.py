"""The one home of the build (survey -> load -> plan -> dbt -> record): `steps` holds the protocol
every command follows (close, reconcile, load, validate and the incremental equivalence test),
`state` the control table of builds, `engine` the one small interface to the engine that stores
the warehouse and runs dbt on it (today DuckDB)."""

from automq_billing.build.engine import DuckDbEngine, Engine
from automq_billing.build.steps import BuildPlan, load, plan, run_build, survey

__all__ = ["BuildPlan", "DuckDbEngine", "Engine", "load", "plan", "run_build", "survey"]

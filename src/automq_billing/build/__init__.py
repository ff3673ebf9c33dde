"""The one home of the build (survey -> load -> plan -> dbt -> record): `steps` holds the protocol
every command follows (close, reconcile, load, validate and the incremental equivalence test),
`state` the control table of builds, `engine` the one small interface to the engine that stores
the warehouse and runs dbt on it (DuckDB, or Spark: `spark_engine`)."""

from automq_billing.build.engine import ENGINES, DuckDbEngine, Engine, engine_name, make_engine
from automq_billing.build.steps import BuildPlan, load, plan, run_build, survey

__all__ = [
    "ENGINES",
    "BuildPlan",
    "DuckDbEngine",
    "Engine",
    "engine_name",
    "load",
    "make_engine",
    "plan",
    "run_build",
    "survey",
]

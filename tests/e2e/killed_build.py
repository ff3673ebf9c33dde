"""`automq-billing` whose dbt build stops half-way, for the interrupted-refresh tests: it wraps
`automq_billing.build.engine.run_dbt` (the build's one call of dbt) from outside (the product
holds no test hook), builds only the first nodes (the usage staging view: no incremental table
is rewritten yet), prints a marker and sleeps until the test kills it.

    python killed_build.py close --month ... (the command's own arguments)
"""

from __future__ import annotations

import sys
import time

from automq_billing.build import engine
from automq_billing.cli import main
from automq_billing.dbt_runner import run_dbt

PART = "stg_usage_exports__usage_events"


def half_a_build(args: list[str], **kwargs):
    partial = list(args)
    partial[partial.index("--select") + 1] = PART
    result = run_dbt(partial, **kwargs)
    print("(test) half of the build is done; waiting to be killed", file=sys.stderr, flush=True)
    time.sleep(600)
    return result


if __name__ == "__main__":
    engine.run_dbt = half_a_build
    sys.exit(main(sys.argv[1:]))

"""`automq-billing` whose dbt build stops half-way, for the interrupted-refresh tests: it wraps
`automq_billing.close.run.run_dbt` from outside (the product holds no test hook), builds only the
models up to the classified usage rows, prints a marker and sleeps until the test kills it.

    python killed_build.py close --month ... (the command's own arguments)
"""

from __future__ import annotations

import sys
import time

from automq_billing.cli import main
from automq_billing.close import run
from automq_billing.dbt_runner import run_dbt

PART = "+int_usage_events_classified"


def half_a_build(args: list[str], **kwargs):
    partial = list(args)
    partial[partial.index("--select") + 1] = PART
    result = run_dbt(partial, **kwargs)
    print("(test) half of the build is done; waiting to be killed", file=sys.stderr, flush=True)
    time.sleep(600)
    return result


if __name__ == "__main__":
    run.run_dbt = half_a_build
    sys.exit(main(sys.argv[1:]))

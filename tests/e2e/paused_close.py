"""`automq-billing` with a pause just before a close publishes, for the kill tests: it wraps
`automq_billing.close.run.publishing` from outside, so the product holds no test hook.

    python paused_close.py SECONDS close --month ... (the command's own arguments)
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from automq_billing.cli import main
from automq_billing.close import run


def paused(publishing: Callable, seconds: float) -> Callable:
    @contextlib.contextmanager
    def publishing_after_a_pause(temporary: Path, final: Path, what: str) -> Iterator[Path]:
        with publishing(temporary, final, what) as folder:
            yield folder
            # every file is written in the temporary folder; the rename has not happened
            print(f"(test) pausing {seconds:g}s before publishing", file=sys.stderr, flush=True)
            time.sleep(seconds)

    return publishing_after_a_pause


if __name__ == "__main__":
    run.publishing = paused(run.publishing, float(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))

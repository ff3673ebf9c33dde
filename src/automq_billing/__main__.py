import sys

from automq_billing.cli import main

sys.exit(main())

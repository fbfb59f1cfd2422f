"""``python -m spm_sim.cli``: the same as the ``spm-sim`` command."""

import sys

from spm_sim.cli.app import main

sys.exit(main())

"""python -m logoutspec: the logoutspec command (logoutspec/cli.py)."""

import sys

from logoutspec.cli import main

sys.exit(main())

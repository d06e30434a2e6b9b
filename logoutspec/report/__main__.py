"""python -m logoutspec.report"""

import sys

from logoutspec.report.cli import main

sys.exit(main())

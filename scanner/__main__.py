"""``python -m scanner``: the same as the ``secretgraph`` command."""

import os
import sys
from pathlib import Path

# ``python -m`` puts the current folder first on sys.path, which the console script does not:
# a folder of the user's named like one of secretgraph's top-level packages (``reports/``
# after ``scan --out reports``) would shadow it and the second night's run would fail to
# import. Outside the source tree the current folder is dropped; from the source tree it is
# where the packages are.
if sys.path and sys.path[0] in ("", os.getcwd()) and \
        Path(sys.path[0] or ".").resolve() != Path(__file__).resolve().parent.parent:
    del sys.path[0]

try:
    from scanner.cli import entry  # noqa: E402
except KeyboardInterrupt:  # Ctrl-C while starting: nothing started, no traceback
    sys.stderr.write("secretgraph: interrupted before the command started\n")
    os._exit(130)

entry()

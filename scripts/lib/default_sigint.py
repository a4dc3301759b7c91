"""Run a command with SIGINT and SIGTERM at their default dispositions:  python scripts/lib/default_sigint.py COMMAND [ARGS...]

A process started in the background by a non-interactive shell (or by anything that ignores SIGINT) inherits
SIGINT ignored, and a shell cannot undo that. Dagster maps SIGTERM to SIGINT's handler, so such a `dagster dev`
ignores both and cannot be stopped but by SIGKILL, which leaves its webserver, daemon and code servers behind.
SIGTERM is reset too: a harness that ignores it passes that on to everything it starts.
"""

import os
import signal
import sys

signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])

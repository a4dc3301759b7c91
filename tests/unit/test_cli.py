"""The `medusa-strapi` command line without services: its options, and the errors that name a setting."""

from __future__ import annotations

import pytest

from pipelines.cli import _parser


@pytest.mark.parametrize("argv, quiet, verbose", [
    (["sync"], False, False),
    (["-q", "sync"], True, False),
    (["sync", "-q"], True, False),
    (["sync", "--quiet"], True, False),
    (["-v", "reconcile"], False, True),
    (["reconcile", "--only", "product", "-v"], False, True),
    (["-q", "plan", "-v"], True, True),
    (["quarantine", "retry", "-q"], True, False),
    (["health", "--verbose"], False, True),
])
def test_quiet_and_verbose_go_before_or_after_the_command(argv, quiet, verbose):
    args = _parser().parse_args(argv)
    assert (args.quiet, args.verbose) == (quiet, verbose)

"""Asking before a command destroys data, and saying what to pass when there is no one to ask."""

import sys

from django.core.management.base import CommandError


def confirm_or_stop(warning, *, flag):
    """Ask on a terminal; without one (a script, a pipe, cron), say which flag skips the question."""
    if not sys.stdin.isatty():
        raise CommandError(f"{warning} No terminal to ask on: pass {flag} to go ahead.")
    if input(f"{warning} Type 'yes' to go on: ") != "yes":
        raise CommandError("Cancelled; nothing was changed.")

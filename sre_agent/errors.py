"""Errors the CLI turns into one clear line and an exit code (never a traceback)."""

from __future__ import annotations


class InputError(Exception):
    """Bad user input (a file, a folder, an option): the CLI prints it and exits with code 2.

    The message names the input and what was expected, on one line.
    """

    exit_code = 2


class ConfigError(InputError):
    """A configuration file or option is invalid."""

"""Errors shown to users as one clear line (the CLI prints them without a traceback)."""


class UserError(ValueError):
    """Bad input from the user: a file, an argument or a setting, named in the message."""

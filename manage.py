#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emojify_site.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # a setting missing or wrong: one line that says which, not a traceback
        sys.exit(f"manage.py: {error}")
    except OperationalError as error:  # the database cannot be reached (or opened): one line, not a traceback
        sys.exit(f"manage.py: {database_problem(error)}")


def database_problem(error) -> str:
    """One line for a database that cannot be reached: where (never the password) and the driver's first line."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "sqlite" in database["ENGINE"]:
        where = f"the SQLite file {database['NAME']}"
    else:
        where = f"{database.get('HOST') or 'localhost'}:{database.get('PORT') or 5432}/{database.get('NAME')}"
    reason = next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)
    return f"cannot use the database at {where} (DATABASE_URL): {reason}"


if __name__ == "__main__":
    main()

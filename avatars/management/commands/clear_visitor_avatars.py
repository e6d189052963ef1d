"""python manage.py clear_visitor_avatars [--dry-run]

Deletes the avatars that visitors saved without an account and can no longer reach: their browser session
has expired or was cleared, and the avatar was last saved over an hour ago (avatars.ownership). Avatars of
accounts, and those from before accounts existed (the admin's), are never touched. Run it daily, e.g. from
cron beside Django's `clearsessions`. The last line is `deleted N avatars of M visitors` (or `would delete`).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from avatars.models import SavedAvatar
from avatars.ownership import SessionsNotInDatabase, abandoned_visitor_avatars


class Command(BaseCommand):
    help = "Delete the avatars of visitors whose browser session has ended without signing in."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count them, delete nothing")

    def handle(self, *args, dry_run=False, **options):
        if SavedAvatar._meta.db_table not in connection.introspection.table_names():
            # Otherwise the first query fails with the database's own "no such table" and a traceback.
            raise CommandError("the database has no avatars yet: run `python manage.py migrate` first")
        avatars = visitors = 0
        try:
            with transaction.atomic():
                for abandoned in abandoned_visitor_avatars():
                    visitors += abandoned.values("visitor").distinct().count()
                    avatars += abandoned.count() if dry_run else abandoned.delete()[0]
        except SessionsNotInDatabase as error:
            raise CommandError(str(error)) from error
        plural = lambda count, noun: f"{count} {noun}{'' if count == 1 else 's'}"
        self.stdout.write(
            f"{'would delete' if dry_run else 'deleted'} {plural(avatars, 'avatar')} of {plural(visitors, 'visitor')}"
        )

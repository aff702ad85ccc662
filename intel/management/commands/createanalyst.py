"""`manage.py createanalyst EMAIL`: a staff account in the Analysts group (created or promoted)."""
import getpass
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from intel.analysts import analyst_make


class Command(BaseCommand):
    help = ("Make EMAIL an analyst (staff, Analysts group) who triages reports in /admin/. Creates the "
            "account when it does not exist (asks for a password, or reads it with --password-stdin); "
            "an existing account is promoted and keeps its password.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the new account's password from standard input")

    def handle(self, *args, email, password_stdin, **options):
        email = email.strip()
        password = None
        if not get_user_model().objects.filter(email__iexact=email).exists():
            password = self._read_password(password_stdin)
        try:
            user, created = analyst_make(email=email, password=password)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        what = "Created" if created else "Promoted"
        self.stdout.write(f"{what} analyst {user.email}: staff, in the Analysts group. Sign in at /admin/.")

    def _read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        else:
            raise CommandError("no account with this email yet: give its password with --password-stdin")
        if not password:
            raise CommandError("the password must not be empty")
        return password

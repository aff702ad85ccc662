"""`manage.py import_osv SOURCE`: malicious-package OSV records (a directory tree, a zip such as
an ecosystem's all.zip, or an https URL of one, fetched through the guarded outbound client).
Here, not in intel, because intel makes no outbound requests (marketplace owns the guarded client)."""
from django.core.management.base import BaseCommand, CommandError

from intel.osv import OsvError
from marketplace.osv_source import osv_import_from


class Command(BaseCommand):
    help = ("Import MAL-... OSV records of PyPI and npm as threats. SOURCE is a directory of OSV JSON files "
            "(e.g. the OpenSSF malicious-packages osv/ folder), a zip of them, or an https URL of such a zip. "
            "Unchanged records (same modified) are skipped; invalid ones are reported by file and skipped; "
            "analyst-edited fields are kept. Exit status 1 when the source cannot be read.")

    def add_arguments(self, parser):
        parser.add_argument("source")

    def handle(self, *args, source, **options):
        try:
            report = osv_import_from(source=source)
        except OsvError as exc:
            raise CommandError(f"import_osv: {exc}") from None
        self.stdout.write(f"import_osv: {report.as_text()}")

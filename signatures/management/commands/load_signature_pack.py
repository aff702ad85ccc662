import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from domain.pack import BUILTIN_PACK_PATH
from signatures.services import signature_pack_load

DEFAULT_PACK = BUILTIN_PACK_PATH


class Command(BaseCommand):
    help = "Load the built-in signature pack: create missing, update changed, by id. Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(DEFAULT_PACK), help="pack JSON (default: signatures/data/builtin_pack.json)")

    def handle(self, *args, path, **options):
        pack = Path(path)
        if not pack.exists():
            if path == str(DEFAULT_PACK):
                self.stderr.write(f"No built-in pack at {pack}; nothing loaded.")
                return
            raise CommandError(f"No signature pack at {pack}.")
        try:
            entries = json.loads(pack.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {pack}: {exc}") from None
        try:
            counts = signature_pack_load(entries=entries)
        except ValidationError as exc:
            raise CommandError(f"{pack} is invalid, nothing loaded:\n  " + "\n  ".join(exc.messages)) from None
        self.stdout.write(
            "Signature pack {path}: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped.".format(
                path=pack.name, **counts
            )
        )

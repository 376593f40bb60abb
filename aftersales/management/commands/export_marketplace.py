import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aftersales.marketplace.io import marketplace_export


class Command(BaseCommand):
    help = "Write the reference marketplace as τ²-retail JSON (the shape load_marketplace reads)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Where to write the JSON; '-' for standard output.")

    def handle(self, *args, path, **options):
        # Indented like the τ² file, so an untouched export is byte-identical to it.
        text = json.dumps(marketplace_export(), indent=4, ensure_ascii=False)
        if path == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc}") from exc
        self.stderr.write(f"Exported the marketplace to {path}.")

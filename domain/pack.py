"""Where the repository's built-in signature pack lives.

The engine is handed its rules (scans.engine.load_rules(path) or a list); the server's loader
(manage.py load_signature_pack), the CLI offline and the bench read the pack from this path.
"""
from pathlib import Path

BUILTIN_PACK_PATH = Path(__file__).resolve().parent.parent / "signatures" / "data" / "builtin_pack.json"

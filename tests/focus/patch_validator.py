"""focus-validator 2.2.1 declares Python >= 3.12 for one f-string (a backslash inside its braces);
rewritten without it, the validator runs on 3.11. Run by `make focus-validator` after the pinned
install; does nothing when the line is already rewritten."""

import sys
from pathlib import Path

OLD = """f"'{k.replace('\\"', '\\"\\"')}'" for k in ignore_keys"""
NEW = """"'" + k.replace('"', '""') + "'" for k in ignore_keys"""

site = Path(sys.argv[1])
converter = site / "focus_validator" / "config_objects" / "focus_to_duckdb_converter.py"
text = converter.read_text(encoding="utf-8")
if OLD in text:
    converter.write_text(text.replace(OLD, NEW), encoding="utf-8")

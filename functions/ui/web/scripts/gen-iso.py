"""Regenerates src/lib/iso-numeric.ts from Debian's iso-codes package (apt-get install iso-codes)."""
import json
import pathlib

data = json.load(open("/usr/share/iso-codes/json/iso_3166-1.json"))["3166-1"]
pairs = sorted((c["numeric"], c["alpha_2"]) for c in data)
body = ",".join(f'"{n}":"{a}"' for n, a in pairs)
out = pathlib.Path(__file__).resolve().parent.parent / "src/lib/iso-numeric.ts"
out.write_text(
    "// ISO 3166-1 numeric -> alpha-2 (generated from Debian's iso-codes by scripts/gen-iso.py);\n"
    "// world-atlas ids are numeric, the API's country codes alpha-2.\n"
    "export const NUMERIC_TO_ALPHA2: Record<string, string> = {" + body + "};\n"
)

"""A serving process starts without the libraries only some requests need (issue 16: memory):
Folium and pandas for maps, openpyxl and Pillow for workbooks and photos, pyosmium and shapely
for OSM imports, psycopg for a PostGIS store. Each loads with the first request that needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAZY = ("folium", "pandas", "geopandas", "openpyxl", "PIL", "osmium", "shapely", "psycopg")


def test_the_app_imports_none_of_the_heavy_libraries() -> None:
    probe = f"import sys, api.app; print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == ""

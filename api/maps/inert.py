"""The one place where text from the data enters a page, and is made inert on the way.

Folium inserts popup and tooltip strings into HTML and JavaScript as they are; we never give it
any. Station data reaches a map page only as ``script_json`` inside a
``<script type="application/json">`` element, which the page's script reads with ``JSON.parse``
and puts into the DOM with ``textContent`` (or into URLs with ``encodeURIComponent``). The index
page of a by-district publication is plain HTML: its few data strings go through ``html_text``.
"""

from __future__ import annotations

import html
from typing import Final

import orjson

#: JSON stays valid JSON when these are written as \\u escapes (they only occur inside strings),
#: and then no data can end the script element (``</script``), open a comment (``<!--``), or
#: break a JavaScript string literal (U+2028/U+2029 were line terminators before ES2019).
_SCRIPT_ESCAPES: Final = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def script_json(value: object) -> str:
    """``value`` as compact JSON text that is inert inside an HTML ``<script>`` element.

    Non-ASCII text stays UTF-8 (one Chinese character is 3 bytes, not a 6-byte escape). NaN and
    infinities become ``null`` (orjson's rule).
    """
    return orjson.dumps(value).decode("utf-8").translate(_SCRIPT_ESCAPES)


def html_text(value: object) -> str:
    """``value`` as HTML text, safe in element content and in quoted attribute values."""
    return html.escape(str(value), quote=True)

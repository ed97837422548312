"""Conditional requests (RFC 9110 §13): If-None-Match against an entity tag."""

from __future__ import annotations


def if_none_match_hits(header: str, etag: str) -> bool:
    """True when an If-None-Match header names ``etag``: weak comparison (§13.1.2: ``W/"3"``
    matches ``"3"``), and ``*`` matches any current representation."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    return "*" in tags or etag in tags

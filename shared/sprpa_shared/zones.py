"""Indonesia's three legal times (no daylight saving) and which one a place keeps (pure).

A province, kabupaten, kecamatan or desa code tells its zone by its province: WIB (UTC+7) for
Sumatra, Java and West/Central Kalimantan, WITA (UTC+8) for Bali, Nusa Tenggara, the rest of
Kalimantan and Sulawesi, WIT (UTC+9) for Maluku and Papua.
"""

from __future__ import annotations

from datetime import timedelta, timezone

WIB, WITA, WIT = (timezone(timedelta(hours=h), name) for h, name in ((7, "WIB"), (8, "WITA"), (9, "WIT")))
_WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}


def zone_of(place_code: str) -> timezone:
    """The legal time of a province, kabupaten or desa (by its province code)."""
    province = place_code[:2]
    if province in _WIT_PROVINCES:
        return WIT
    if province in _WITA_PROVINCES:
        return WITA
    return WIB

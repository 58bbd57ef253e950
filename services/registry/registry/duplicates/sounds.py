"""The keyed index of how a child's name sounds (`children.name_sounds`), through which the database
finds the children whose names may be alike without reading a name (issue 27).

Each sound of the name (`rules.name_sounds`) is stored as a tag of its kecamatan, the week of the
birth date and the sound (`Protector.tags`), so the database learns only that two children of one
kecamatan born in the same week have a word that sounds alike, and a look-up reads only those
children however many are registered. A record seeks the tags of the weeks its birth date's
tolerance reaches (one or two), and `ALIKE` keeps the children sharing at least half the sounds of
the shorter name, as `rules.sounds_alike` does; the rules compare the names after.
"""

from __future__ import annotations

from datetime import date

from registry.duplicates.rules import BIRTH_DATE_TOLERANCE_DAYS
from sprpa_shared.protect import Protector, protector

# The condition on a child `{c}` of the tags sought (`{sought}`, integer[]) by a name of `{count}`
# sounds; `{c}.name_sounds && {sought}` comes first so an index can answer it.
ALIKE = ("{c}.name_sounds && {sought} AND 2 * (SELECT count(*) FROM unnest({c}.name_sounds) t "
         "WHERE t = ANY({sought})) >= least(cardinality({c}.name_sounds), {count})")


def tags(sounds: frozenset[str], district_code: str, birth_date: date, *,
         keys: Protector | None = None) -> tuple[list[int], list[int]]:
    """(the tags stored for a child, the tags its record seeks), under the process's keys unless
    given others. The tolerance spans 7 days, so the weeks sought are the birth date's own and at
    most one beside it."""
    day = birth_date.toordinal()
    own = day // 7
    weeks = [own, *({(day - BIRTH_DATE_TOLERANCE_DAYS) // 7, (day + BIRTH_DATE_TOLERANCE_DAYS) // 7} - {own})]
    ordered = sorted(sounds)
    sought = (keys or protector()).tags([f"{district_code}:{week}:{sound}" for week in weeks for sound in ordered])
    return sought[:len(ordered)], sought

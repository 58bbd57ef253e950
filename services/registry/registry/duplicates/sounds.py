"""The keyed index of how a child's name sounds (`children.name_sounds`), through which the database
finds the children whose names may be alike without reading a name (issue 27).

Each sound of the name (`rules.name_sounds`) is stored as a tag of its kecamatan, the week of the
birth date and the sound (`Protector.tags`), so the database learns only that two children of one
kecamatan born in the same week have a word that sounds alike, and a look-up reads only those
children however many are registered. A record seeks the tags of the weeks its birth date's
tolerance reaches (one or two): `LOOKUP` asks the index for the children that may share enough of
them, and `ALIKE` keeps those sharing at least half the sounds of the shorter name, as
`rules.sounds_alike` does; the rules compare the names after.
"""

from __future__ import annotations

from datetime import date

from registry.duplicates.rules import BIRTH_DATE_TOLERANCE_DAYS
from sprpa_shared.protect import Protector, protector

# The condition on a child `{c}` of the tags sought (`{sought}`, integer[]) by a name of `{count}`
# sounds: it shares at least half the sounds of the shorter name, and at least one.
ALIKE = ("2 * (SELECT count(*) FROM unnest({c}.name_sounds) t WHERE t = ANY({sought})) "
         ">= greatest(least(cardinality({c}.name_sounds), {count}), 1)")

# Names of up to this many sounds are looked up by pairs of them (`LOOKUP`); a longer one's record
# seeks every child sharing any of its sounds.
PAIRED_SOUNDS = 5


def _lookup() -> str:
    """The children `ALIKE` may keep, as one OR that a GIN index over `name_sounds` answers arm by
    arm (issue 27). When both names have three sounds or more, at least half means at least two, so
    the child holds some pair of the tags of one week sought: its i-th tag and one of those after it
    (an arm each, the tags being `tags()`'s week by week). A child of one or two sounds needs only
    one (the partial index `children_few_sounds` holds them), and so does any child when the record
    has one or two sounds (or more than `PAIRED_SOUNDS`). Looking up any shared sound instead brings
    every child of the kecamatan and week with a common word (Muhammad, Siti, Nur): at a million
    children ten times those `ALIKE` keeps. An arm whose slices are empty finds nothing, and the
    index learns so without a read."""
    arms = [f"{{c}}.name_sounds && (CASE WHEN {{count}} <= 2 OR {{count}} > {PAIRED_SOUNDS} THEN {{sought}} END)",
            "cardinality({c}.name_sounds) <= 2 AND {c}.name_sounds && {sought}"]
    for week in (0, 1):
        for index in range(1, PAIRED_SOUNDS):
            first = f"{week} * {{count}} + {index}"
            arms.append(f"{{c}}.name_sounds @> ({{sought}})[{first}:{first}] "
                        f"AND {{c}}.name_sounds && ({{sought}})[{first} + 1:{week + 1} * {{count}}]")
    return "(" + " OR ".join(f"({arm})" for arm in arms) + ")"


LOOKUP = _lookup()


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

"""KLA (Kabupaten/Kota Layak Anak, Permen PPPA 12/2011): the indicators the case data answers,
and the 1,000-point scorecard of all 31, where the district enters the others with evidence.

Indicators the data answers (each with its definition, numerator and denominator):
- 5, disaggregated child data updated each year: the kabupaten's kecamatan with child data
  updated in the year (a child registered, changed or visited there), of all its kecamatan in
  the official list; the report serves the profile itself (sex x single-year age x kecamatan);
- 28, children needing special protection who received services: of the children flagged in
  the year, those with at least one service delivered by its end;
- 31, children freed from the worst forms of child labour: of the children in a worst form
  during the year, those withdrawn from work in it.

Each is measured in its year, not cumulated, and shown beside the year before.

Points: an indicator scores its weight times its achievement (share met, 0..1); the total of
all 31 at full achievement is 1,000.
"""

from __future__ import annotations

from dataclasses import dataclass

INDICATORS: tuple[tuple[int, str, int], ...] = (
    (1, "child-rights regulation and policy", 60), (2, "budget share for child rights", 50),
    (3, "policies with Forum Anak input", 40), (4, "staff trained in the CRC", 40),
    (5, "disaggregated child data (sex, age, kecamatan)", 50), (6, "community institutions involved", 30),
    (7, "business involvement", 30), (8, "birth certificates", 60),
    (9, "child-friendly information facilities", 45), (10, "child groups incl. Forum Anak", 40),
    (11, "marriage under 18", 25), (12, "parenting consultation institutions", 25),
    (13, "child social welfare institutions (LKSA)", 30), (14, "infant mortality", 30),
    (15, "under-five malnutrition", 30), (16, "exclusive breastfeeding", 15), (17, "breastfeeding corners", 15),
    (18, "complete basic immunisation", 20), (19, "reproductive and mental health services", 20),
    (20, "poor children with welfare access", 20), (21, "households with clean water", 20),
    (22, "smoke-free areas", 20), (23, "early childhood education participation", 30),
    (24, "12-year compulsory education", 50), (25, "child-friendly schools", 20),
    (26, "safe routes to school", 20), (27, "creative and recreational facilities", 45),
    (28, "children needing special protection who got services", 40),
    (29, "juvenile cases solved by restorative justice", 30), (30, "disaster mechanism mindful of children", 20),
    (31, "children freed from the worst forms of child labour", 30),
)
FROM_DATA = {5, 28, 31}
WEIGHTS = {number: points for number, _, points in INDICATORS}
assert sum(WEIGHTS.values()) == 1000  # noqa: S101 - the regulation's total, checked at import

DEFINITIONS = {
    5: ("kecamatan with child data updated in the year", "kecamatan of the kabupaten"),
    28: ("children flagged in the year with at least one service delivered",
         "children flagged in the year (needing special protection)"),
    31: ("children in a worst form withdrawn from work in the year", "children in a worst form during the year"),
}


@dataclass(frozen=True)
class Measured:
    number: int
    numerator: int
    denominator: int

    @property
    def achievement(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def points(weight: int, achievement: float | None) -> float:
    return round(weight * (achievement or 0.0), 1)


def scorecard(measured: dict[int, Measured], entered: dict[int, dict]) -> tuple[list[dict], float]:
    """Every indicator with its source, achievement and points; and the total out of 1,000."""
    rows = []
    for number, name, weight in INDICATORS:
        if number in FROM_DATA:
            m = measured[number]
            achievement = m.achievement
            row = {"indicator": number, "name": name, "weight": weight, "source": "data",
                   "numerator": m.numerator, "denominator": m.denominator,
                   "definition": DEFINITIONS[number][0], "denominator_definition": DEFINITIONS[number][1]}
        else:
            entry = entered.get(number)
            achievement = entry["achievement_percent"] / 100 if entry else None
            row = {"indicator": number, "name": name, "weight": weight, "source": "district",
                   "evidence": entry["evidence"] if entry else None, "version": entry["version"] if entry else 0}
        row["achievement_percent"] = None if achievement is None else round(achievement * 100, 1)
        row["points"] = points(weight, achievement)
        rows.append(row)
    return rows, round(sum(row["points"] for row in rows), 1)

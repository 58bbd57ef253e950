"""The periodic report as a PDF to send on and read on paper: rendered from the same tables as the
JSON and XLSX (after suppression, in the language asked for), with a chart of the targets and one
of the reach of activities. ReportLab draws it in pure Python: no system library to install."""

from __future__ import annotations

import io
from datetime import date

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as Grid

from reports.tables import Table, header

BAR = colors.HexColor("#1f6f8b")  # the charts' colour (the PDF test looks for it in the rendered page)
SECOND = colors.HexColor("#e07a1f")
TEXT = {
    "title": ("Laporan Periodik SPRPA", "SPRPA periodic report"),
    "monthly": ("Bulanan", "Monthly"), "quarterly": ("Triwulanan", "Quarterly"),
    "period": ("Periode", "Period"), "made": ("Dibuat", "Made"),
    "suppressed": ("Sel kecil disembunyikan (di bawah {n}).", "Small cells hidden (below {n})."),
    "targets": ("Target dan capaian", "Targets and achievements"),
    "chart_targets": ("Capaian sampai saat ini (% target)", "Achieved to date (% of target)"),
    "activities": ("Kegiatan dan jangkauan", "Activities and reach"),
    "chart_reach": ("Peserta tanpa nama menurut kelompok umur", "Anonymous participants by age group"),
    "reach_by_sex_age": ("Jangkauan menurut jenis kelamin dan umur", "Reach by sex and age"),
    "cases_by_status": ("Kasus menurut status", "Cases by status"),
    "prevented_by_basis": ("Anak dicegah menurut dasarnya", "Children prevented, by what prevented them"),
    "referrals_by_category": ("Rujukan terlayani dan kesenjangan", "Referrals served and gaps"),
    "costs_by_category": ("Biaya menurut penggunaan", "Costs by what they paid for"),
    "costs_by_funding_source": ("Biaya menurut sumber dana", "Costs by funding source"),
    "costs_by_desa": ("Biaya menurut desa", "Costs by desa"),
    "institutions": ("Lembaga desa", "Village institutions"),
    "headline": ("Ringkasan", "Summary"),
    "place_national": ("Seluruh program", "The whole programme"),
}
HEADLINE = {
    "sessions": ("Sesi kegiatan", "Activity sessions"),
    "anonymous_reach": ("Peserta tanpa nama", "Anonymous participants"),
    "registered_children_reached": ("Anak terdaftar yang ikut kegiatan", "Registered children who took part"),
    "cost_total_idr": ("Total biaya (Rp)", "Total cost (IDR)"),
    "cost_per_child_served_idr": ("Biaya layanan per anak (Rp)", "Service cost per child (IDR)"),
}
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")


def text(key: str, lang: str) -> str:
    indonesian, english = TEXT[key]
    return indonesian if lang == "id" else english


def _number(value, lang: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        text = f"{value:,}"
        return text.replace(",", ".") if lang == "id" else text
    if isinstance(value, float):
        text = f"{value:,.1f}"
        return text.replace(",", "x").replace(".", ",").replace("x", ".") if lang == "id" else text
    return str(value)


def _period_name(start: date, end: date, kind: str, lang: str) -> str:
    if kind == "monthly":
        return f"{MONTHS_ID[start.month - 1]} {start.year}" if lang == "id" else start.strftime("%B %Y")
    quarter = (start.month - 1) // 3 + 1
    return f"Triwulan {quarter} {start.year}" if lang == "id" else f"Q{quarter} {start.year}"


def _grid(table: Table, lang: str, styles) -> Grid:
    small = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=8, leading=10)
    columns = [c for c in table.columns if not c.endswith("_code")]
    rows = [[Paragraph(f"<b>{header(c, lang)}</b>", small) for c in columns]]
    rows += [[Paragraph(_number(row.get(c), lang), small) for c in columns] for row in table.rows]
    grid = Grid(rows, repeatRows=1, hAlign="LEFT")
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef2")),
        ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return grid


def _bars(title: str, labels: list[str], values: list[float], *, horizontal: bool) -> Drawing:
    drawing = Drawing(170 * mm, 62 * mm)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = (45 * mm, 8 * mm, 115 * mm, 44 * mm)
    chart.data = [values or [0]]
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = BAR
    axis = chart.categoryAxis
    axis.categoryNames = labels or ["-"]
    axis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max([100.0, *values]) if horizontal else max([1.0, *values])
    chart.valueAxis.labels.fontSize = 7
    drawing.add(chart)
    drawing.add(String(0, 57 * mm, title, fontSize=10, fontName="Helvetica-Bold"))
    return drawing


def render(*, tables: list[Table], headline: dict, place_name: str, kind: str, start: date, end: date, lang: str,
           made: date, suppressed_below: int | None) -> bytes:
    """`tables` are the report's tables made readable in `lang` (codes as words)."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=text("title", lang), author="SPRPA")
    story: list = [
        Paragraph(text("title", lang), styles["Title"]),
        Paragraph(f"{place_name} — {text(kind, lang)}, {_period_name(start, end, kind, lang)}", styles["Heading2"]),
        Paragraph(f"{text('period', lang)}: {start.isoformat()} – {end.isoformat()}. "
                  f"{text('made', lang)}: {made.isoformat()}.", styles["BodyText"]),
    ]
    if suppressed_below:
        story.append(Paragraph(text("suppressed", lang).format(n=suppressed_below), styles["Italic"]))
    by_name = {table.name: table for table in tables}
    targets = by_name["targets"]
    story += [Spacer(1, 4 * mm), Paragraph(text("targets", lang), styles["Heading3"]), _grid(targets, lang, styles),
              Spacer(1, 3 * mm)]
    charted = [row for row in targets.rows if isinstance(row.get("of_target_percent"), float | int)]
    story.append(_bars(text("chart_targets", lang), [str(r["target_indicator"]) for r in charted],
                       [float(r["of_target_percent"]) for r in charted], horizontal=True))
    story += [Paragraph(text("headline", lang), styles["Heading3"]), Paragraph("<br/>".join(
        f"{(HEADLINE[key][0] if lang == 'id' else HEADLINE[key][1])}: {_number(headline.get(key), lang)}"
        for key in HEADLINE), styles["BodyText"])]
    reach = by_name["reach_by_sex_age"]
    ages: dict[str, float] = {}
    for row in reach.rows:
        if isinstance(row.get("count"), int):
            ages[str(row["age_group"])] = ages.get(str(row["age_group"]), 0) + row["count"]
    for name in ("activities", "reach_by_sex_age"):
        story += [Paragraph(text(name, lang), styles["Heading3"]), _grid(by_name[name], lang, styles)]
    story.append(KeepTogether([Spacer(1, 3 * mm), _bars(text("chart_reach", lang), list(ages), list(ages.values()),
                                                         horizontal=False)]))
    for name in ("cases_by_status", "prevented_by_basis", "referrals_by_category", "costs_by_category",
                 "costs_by_funding_source", "costs_by_desa", "institutions"):
        table = by_name[name]
        block = [Paragraph(text(name, lang), styles["Heading3"]), _grid(table, lang, styles)]
        if lang == "en":  # the tables' notes are written in English
            block += [Paragraph(note, styles["Italic"]) for note in table.notes]
        story.append(KeepTogether(block))
    document.build(story)
    return buffer.getvalue()

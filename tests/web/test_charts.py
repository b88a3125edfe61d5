"""The charts page: SVG drawn on the server, no script, each chart named for screen readers and given as a table,
and every value drawn is the registry's own (the comparison, the stored diffs, the standards' findings)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.web.conftest import Served

SVG = "{http://www.w3.org/2000/svg}"


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, re.S)


def test_every_chart_is_an_accessible_image_with_a_table_and_no_script(served: Served) -> None:
    response = served.client.get("/charts")
    assert response.status_code == 200
    page = response.text
    assert "<script" not in page
    assert "style=" not in page  # the CSP allows no inline style: colours come from the stylesheet
    svgs = _svgs(page)
    # The matrix, the timeline, and one bar chart per standard that holds some lab.
    assert len(svgs) >= 3
    for svg in svgs:
        root = ET.fromstring(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert title.text
        assert desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert page.count("(the chart's data)</caption>") == len(svgs)
    assert page.count("<strong>Method:</strong>") == 3


def test_the_matrix_shows_each_current_frameworks_strengths(served: Served) -> None:
    page = served.client.get("/charts").text
    matrix = page.split('id="matrix-heading"')[1].split("</section>")[0]
    table = matrix.split("<table>")[1]
    # The fill's Borealis 2.0 assesses chemical weapons risk only as a may; Acme's 2.0 as a must.
    chemical = next(row for row in table.split("<tr>") if "<code>cbrn.chemical</code>" in row)
    cells = re.findall(r"<td>(\w+)</td>", chemical)
    header = re.findall(r'<th scope="col">([^<]+)</th>', table)[1:]
    assert dict(zip(header, cells, strict=True))["Borealis Research Ltd"] == "may"
    assert dict(zip(header, cells, strict=True))["Acme AI, Inc."] == "must"
    svg = _svgs(matrix)[0]
    assert svg.count('class="cell cell-may"') >= 1
    assert "Borealis Research Ltd: " in svg.split("<desc")[1]


def test_the_timeline_marks_each_version_by_its_direction(served: Served) -> None:
    published = served.filled.published
    page = served.client.get("/charts").text
    timeline = page.split('id="timeline-heading"')[1].split("</section>")[0]
    api = served.client.get("/api/v1/changes", params={"per_page": "100"}).json()["items"]
    frameworks = [item for item in api if item["kind"] == "secure-development-framework"]
    assert frameworks
    for item in frameworks:
        mark = f'<g data-log-index="{item["log_index"]}"><title>'
        drawn = timeline.split(mark)[1].split("</g>")[0]
        assert f'class="mark mark-{item["direction"]}"' in drawn
    weakened = published["borealis-sdf-2-weakened"].log_index
    assert "version 2.0: mixed" in timeline.split(f'<g data-log-index="{weakened}"><title>')[1].split("</title>")[0]
    # Cards are not drawn: the timeline is of frameworks.
    assert f'<g data-log-index="{published["acme-card-3"].log_index}">' not in timeline


def test_rules_passed_are_counted_from_the_findings_the_document_pages_show(served: Served) -> None:
    page = served.client.get("/charts").text
    rules = page.split('id="rules-heading"')[1].split("</section>")[0]
    acme = re.search(
        r'candor-minimum-2026\.1</small>.*?<th scope="row">Acme AI, Inc\.</th><td>(\d+)</td><td>(\d+)</td>', rules, re.S
    )
    assert acme is not None
    passed, counted = int(acme.group(1)), int(acme.group(2))
    assert 0 < passed <= counted
    # The same figure in the chart and its description as in the table.
    assert f"Acme AI, Inc.: {passed} of {counted} rules passed" in rules

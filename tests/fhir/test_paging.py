"""Keyset paging: next links, stable under inserts, across Observation sources."""

from urllib.parse import urlsplit

from tests.factories import add_kratom_use, add_lab, make_patient


def follow(fhir, url):
    ids, pages = [], 0
    while url:
        parts = urlsplit(url)
        body = fhir.get(parts.path + ("?" + parts.query if parts.query else "")).json_body
        ids += [e["resource"]["id"] for e in body.get("entry", [])]
        url = next((link["url"] for link in body["link"] if link["relation"] == "next"), None)
        pages += 1
    return ids, pages


def test_count_pages_through_every_patient_once(fhir, program):
    created = [str(make_patient(program).uid) for _ in range(7)]
    ids, pages = follow(fhir, "/fhir/Patient?_count=3")
    assert ids == created
    assert pages == 3


def test_inserts_while_paging_do_not_shift_pages(fhir, program):
    first = [str(make_patient(program).uid) for _ in range(4)]
    page1 = fhir.get("/fhir/Patient?_count=2").json_body
    next_url = next(link["url"] for link in page1["link"] if link["relation"] == "next")
    late = str(make_patient(program).uid)  # inserted between page 1 and page 2
    rest, _ = follow(fhir, next_url)
    seen = [e["resource"]["id"] for e in page1["entry"]] + rest
    assert seen == [*first, late]
    assert len(seen) == len(set(seen))


def test_paging_crosses_observation_sources(fhir, patient):
    labs = [str(add_lab(patient, "ALT", float(i)).uid) for i in range(3)]
    uses = [str(add_kratom_use(patient).uid) for _ in range(2)]
    ids, pages = follow(fhir, "/fhir/Observation?_count=2")
    assert ids == labs + uses
    assert pages == 3


def test_total_accurate_and_count_zero(fhir, program):
    for _ in range(3):
        make_patient(program)
    assert fhir.get("/fhir/Patient?_total=accurate").json_body["total"] == 3
    body = fhir.get("/fhir/Patient?_count=0").json_body
    assert body["total"] == 3
    assert "entry" not in body


def test_forged_cursor_is_400(fhir, program):
    response = fhir.get("/fhir/Patient?_cursor=evil.1")
    assert response.status_code == 400
    assert "cursor" in response.json_body["issue"][0]["diagnostics"]

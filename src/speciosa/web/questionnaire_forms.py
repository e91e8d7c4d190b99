"""HTML forms generated from the instrument's FHIR Questionnaire (no hand-written forms).

The same builder serves the clinician's assessment entry and the patient's self-report
page. Posted values are passed to the scorer untouched: the scorer validates them and
names the item at fault, and the form shows that message next to the item.
"""

from dataclasses import dataclass, field

from speciosa.clinical.instruments.catalog import Instrument


@dataclass
class FormOption:
    code: str
    display: str
    weight: int


@dataclass
class FormItem:
    name: str  # HTML field name
    link_id: str
    label: str
    kind: str  # choice | integer | string
    required: bool
    options: list[FormOption] = field(default_factory=list)
    min_value: int | None = None
    max_value: int | None = None
    value: str = ""
    error: str = ""
    conditional: bool = False


def field_name(instrument_id: str, link_id: str) -> str:
    return f"{instrument_id}__{link_id}"


def build_form_items(
    instrument: Instrument, posted=None, errors: dict[str, str] | None = None
) -> list[FormItem]:
    errors = errors or {}
    items = []
    for item in instrument.items.values():
        name = field_name(instrument.id, item.link_id)
        label = (
            item.text or f"Item {item.prefix or item.link_id} (wording supplied by your program)"
        )
        items.append(
            FormItem(
                name=name,
                link_id=item.link_id,
                label=f"{item.prefix} {label}".strip() if item.prefix and item.text else label,
                kind=item.kind,
                required=item.required and not item.enable_when,
                options=[FormOption(o.code, o.display or o.code, o.weight) for o in item.options],
                min_value=item.min_value,
                max_value=item.max_value,
                value=(posted.get(name, "") if posted is not None else ""),
                error=errors.get(item.link_id, ""),
                conditional=bool(item.enable_when),
            )
        )
    return items


def answers_from_post(instrument: Instrument, posted) -> dict[str, object]:
    """linkId -> posted value, for the items the user answered (blank means unanswered)."""
    answers: dict[str, object] = {}
    for item in instrument.items.values():
        raw = posted.get(field_name(instrument.id, item.link_id), "")
        if raw is None or str(raw).strip() == "":
            continue
        value = str(raw).strip()
        if item.kind == "integer":
            try:
                answers[item.link_id] = int(value)
            except ValueError:
                answers[item.link_id] = value  # the scorer reports it as not an integer
        else:
            answers[item.link_id] = value
    return answers

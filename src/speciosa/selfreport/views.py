"""The patient's side of a self-report link: no login, nothing of the record shown."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from speciosa.clinical.errors import InvalidAnswer, InvalidInput
from speciosa.measures.services import instrument_named
from speciosa.selfreport.services import LinkUnusable, find_usable_link, submit_self_report
from speciosa.web.questionnaire_forms import answers_from_post, build_form_items

# Shown after any positive suicide-risk item. 988 Suicide & Crisis Lifeline (SAMHSA):
# https://988lifeline.org — call or text 988; emergency 911.
CRISIS_RESOURCES = {
    "lifeline": "Call or text 988 (Suicide & Crisis Lifeline), any time, free and confidential.",
    "chat": "Chat at 988lifeline.org.",
    "emergency": "If you are in immediate danger, call 911 or go to the nearest emergency room.",
}


def _unusable(request, exc: LinkUnusable):
    status = 404 if exc.reason == "unknown" else 410
    return render(request, "selfreport/unusable.html", {"message": exc.message}, status=status)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def self_report(request, token):
    try:
        link = find_usable_link(token)
    except LinkUnusable as exc:
        return _unusable(request, exc)
    instruments = [instrument_named(i) for i in link.instrument_ids]
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        answers = {i.id: answers_from_post(i, request.POST) for i in instruments}
        try:
            result = submit_self_report(token=token, answers=answers)
        except LinkUnusable as exc:
            return _unusable(request, exc)
        except InvalidAnswer as exc:
            errors[exc.item_id] = exc.reason
            status = 422
        except InvalidInput as exc:
            errors["__all__"] = exc.message
            status = 422
        else:
            return render(
                request,
                "selfreport/thanks.html",
                {"has_critical": result.has_critical, "crisis": CRISIS_RESOURCES},
            )
    sections = [
        {
            "instrument": i,
            "items": build_form_items(
                i, request.POST if request.method == "POST" else None, errors
            ),
        }
        for i in instruments
    ]
    return render(
        request,
        "selfreport/form.html",
        {"sections": sections, "error_count": len(errors), "form_error": errors.get("__all__")},
        status=status,
    )

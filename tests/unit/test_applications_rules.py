"""R17 as plain rules (no AWS): each kind's eligibility and its edges, the materials per kind, every
state transition (the legal ones and every illegal one), decisions, collection and completion."""

from datetime import date

import pytest

from hallbook.domain import errors
from hallbook.domain.applications import (
    MAX_UPLOAD_BYTES,
    PREVIOUS,
    Kind,
    State,
    StoredObject,
    check_change,
    check_collection_choice,
    check_collection_office,
    check_completion,
    check_decision,
    check_eligible,
    check_mail_address,
    check_materials,
    check_permit,
    check_renewal,
    check_transition,
    check_upload_type,
    details_for,
    material,
    materials_for,
    minus_month,
    on_completion,
    parse_permit_number,
    plus_years,
    renewal_period,
)

pytestmark = [pytest.mark.R17]

# ---------------------------------------------------------------- renewal: the month before expiry

EXPIRES = date(2026, 10, 15)


def test_renewal_period_is_the_month_before_expiry():
    assert renewal_period(EXPIRES) == (date(2026, 9, 16), date(2026, 10, 15))


@pytest.mark.parametrize("today", [date(2026, 9, 16), date(2026, 10, 15), date(2026, 10, 1)])
def test_renewal_inside_the_month_is_eligible(today):
    check_renewal(EXPIRES, today)  # first day, last day, and one between


@pytest.mark.parametrize("today, when", [(date(2026, 9, 15), "is not open yet"), (date(2026, 10, 16), "has expired")])
def test_renewal_one_day_outside_either_side_is_refused_with_the_period(today, when):
    with pytest.raises(errors.NotEligible) as refused:
        check_renewal(EXPIRES, today)
    assert refused.value.code == "NOT_ELIGIBLE" and refused.value.status == 409
    assert (
        "2026-09-16" in refused.value.detail and "2026-10-15" in refused.value.detail and when in refused.value.detail
    )
    assert refused.value.extra == {"window_opens": "2026-09-16", "window_closes": "2026-10-15"}


@pytest.mark.parametrize(
    "valid_until, first",
    [
        (date(2026, 3, 31), date(2026, 3, 1)),  # 02-28 is the day a month before; the window opens the day after
        (date(2028, 3, 30), date(2028, 3, 1)),  # leap year: 02-29 + 1
        (date(2026, 1, 10), date(2025, 12, 11)),  # across the year
    ],
)
def test_renewal_period_at_month_ends(valid_until, first):
    assert renewal_period(valid_until)[0] == first
    check_renewal(valid_until, first)
    with pytest.raises(errors.NotEligible):
        check_renewal(valid_until, date.fromordinal(first.toordinal() - 1))


def test_month_and_year_arithmetic():
    assert minus_month(date(2026, 3, 31)) == date(2026, 2, 28)
    assert minus_month(date(2026, 1, 31)) == date(2025, 12, 31)
    assert plus_years(date(2028, 2, 29)) == date(2029, 2, 28)
    assert plus_years(EXPIRES) == date(2027, 10, 15)


# ---------------------------------------------------------------- change: within 30 days

CHANGED = date(2026, 9, 1)


@pytest.mark.parametrize("today", [CHANGED, date(2026, 10, 1)])  # day 0 and day 30
def test_change_reported_by_day_30_is_eligible(today):
    check_change(CHANGED, today)


def test_change_on_day_31_is_refused():
    with pytest.raises(errors.NotEligible) as refused:
        check_change(CHANGED, date(2026, 10, 2))
    assert refused.value.extra == {"deadline": "2026-10-01"}


def test_change_in_the_future_is_invalid():
    with pytest.raises(errors.ValidationFailed):
        check_change(date(2026, 10, 2), date(2026, 10, 1))


# ---------------------------------------------------------------- the kinds' fields


def test_replacement_reason_is_lost_or_damaged():
    assert details_for(Kind.REPLACEMENT, "lost", None, None, None, None).reason == "lost"
    assert details_for(Kind.REPLACEMENT, "damaged", None, None, None, None).reason == "damaged"
    for reason in (None, "stolen", "LOST"):
        with pytest.raises(errors.ValidationFailed) as refused:
            details_for(Kind.REPLACEMENT, reason, None, None, None, None)
        assert refused.value.extra["field"] == "reason"


def test_change_needs_its_date_and_what_changed():
    details = details_for(Kind.CHANGE, None, CHANGED, "  海口市  龙华区 1号 ", None, None)
    assert details.public() == {"change_date": "2026-09-01", "address": "海口市 龙华区 1号"}
    with pytest.raises(errors.ValidationFailed):
        details_for(Kind.CHANGE, None, None, "海口市龙华区1号", None, None)
    with pytest.raises(errors.ValidationFailed):
        details_for(Kind.CHANGE, None, CHANGED, None, None, " ")


def test_a_kind_refuses_another_kinds_fields():
    with pytest.raises(errors.ValidationFailed):
        details_for(Kind.RENEWAL, "lost", None, None, None, None)
    with pytest.raises(errors.ValidationFailed):
        details_for(Kind.REPLACEMENT, "lost", CHANGED, None, None, None)


def test_eligibility_by_kind():
    check_eligible(
        Kind.REPLACEMENT, details_for(Kind.REPLACEMENT, "lost", None, None, None, None), EXPIRES, date(2026, 1, 1)
    )  # any time
    with pytest.raises(errors.NotEligible):
        check_eligible(Kind.RENEWAL, details_for(Kind.RENEWAL, None, None, None, None, None), EXPIRES, date(2026, 1, 1))


def test_permit_numbers_and_records():
    assert parse_permit_number(" hk2025000001 ") == "HK2025000001"
    for bad in ("", "12345", "HK-2025", "x" * 33):
        with pytest.raises(errors.ValidationFailed):
            parse_permit_number(bad)
    assert check_permit(EXPIRES, date(2025, 10, 15), "海口市龙华区金贸西路20号", date(2026, 9, 1))
    with pytest.raises(errors.ValidationFailed):
        check_permit(EXPIRES, date(2026, 9, 2), "海口市龙华区金贸西路20号", date(2026, 9, 1))  # endorsed in the future


# ---------------------------------------------------------------- materials (seed 004)


def test_materials_per_kind_from_the_seed():
    assert [m.code for m in materials_for(Kind.RENEWAL)] == ["residence_permit", "id_card", "eligibility_proof"]
    assert all(m.required for m in materials_for(Kind.RENEWAL))
    assert [m.code for m in materials_for(Kind.CHANGE)] == ["change_proof"]
    assert materials_for(Kind.REPLACEMENT, "lost") == ()
    assert [(m.code, m.required) for m in materials_for(Kind.REPLACEMENT, "damaged")] == [("damaged_permit", False)]
    with pytest.raises(errors.ValidationFailed):
        material(Kind.CHANGE, None, "id_card")


def test_submission_needs_every_required_material_of_an_allowed_type_and_size():
    jpeg = StoredObject("image/jpeg", 1000)
    check_materials(
        Kind.RENEWAL,
        None,
        {
            "residence_permit": jpeg,
            "id_card": jpeg,
            "eligibility_proof": StoredObject("application/pdf", MAX_UPLOAD_BYTES),
        },
    )
    with pytest.raises(errors.ValidationFailed) as refused:
        check_materials(Kind.RENEWAL, None, {"residence_permit": jpeg, "id_card": None, "eligibility_proof": None})
    assert refused.value.extra["missing"] == ["id_card", "eligibility_proof"]
    for wrong in (
        StoredObject("text/html", 10),
        StoredObject("image/png", MAX_UPLOAD_BYTES + 1),
        StoredObject("image/png", 0),
    ):
        with pytest.raises(errors.ValidationFailed) as refused:
            check_materials(Kind.CHANGE, None, {"change_proof": wrong})
        assert refused.value.extra["invalid"] == ["change_proof"]
    check_materials(Kind.REPLACEMENT, "damaged", {"damaged_permit": None})  # optional
    check_upload_type("application/pdf")
    with pytest.raises(errors.ValidationFailed):
        check_upload_type("image/gif")


# ---------------------------------------------------------------- states

LEGAL = {(before, to) for to, befores in PREVIOUS.items() for before in befores}


def test_the_legal_chain():
    assert {
        (State.DRAFT, State.SUBMITTED),
        (State.SUBMITTED, State.UNDER_REVIEW),
        (State.UNDER_REVIEW, State.APPROVED),
        (State.UNDER_REVIEW, State.REJECTED),
        (State.APPROVED, State.COLLECTING),
        (State.COLLECTING, State.CLOSED),
        (State.DRAFT, State.WITHDRAWN),
        (State.SUBMITTED, State.WITHDRAWN),
    } == LEGAL
    for before, to in LEGAL:
        check_transition(before.value, to)


@pytest.mark.parametrize(
    "before, to",
    sorted(((b, t) for b in State for t in PREVIOUS if (b, t) not in LEGAL), key=lambda p: (p[0].value, p[1].value)),
)
def test_every_illegal_transition_is_refused(before, to):
    with pytest.raises(errors.InvalidState) as refused:
        check_transition(before.value, to)
    assert refused.value.code == "INVALID_STATE" and refused.value.extra == {"state": before.value}


def test_collection_is_chosen_once_approved_and_again_only_after_a_lost_counter_booking():
    check_collection_choice("approved", None, None)
    at_counter = {"method": "window", "booking_id": "b"}
    for status in ("cancelled", "no_show"):
        check_collection_choice("collecting", at_counter, status)
    for current, status in ((at_counter, "booked"), (at_counter, "checked_in"), ({"method": "mail"}, None)):
        with pytest.raises(errors.InvalidState):
            check_collection_choice("collecting", current, status)
    for state in ("draft", "submitted", "under_review", "rejected", "closed", "withdrawn"):
        with pytest.raises(errors.InvalidState):
            check_collection_choice(state, None, None)


# ---------------------------------------------------------------- decision, collection, completion


def test_a_rejection_needs_a_reason():
    assert check_decision(True, None) is None
    assert check_decision(True, " 材料 齐全 ") == "材料 齐全"
    assert check_decision(False, "证明材料不清晰") == "证明材料不清晰"
    for reason in (None, "", "   "):
        with pytest.raises(errors.ValidationFailed):
            check_decision(False, reason)
    with pytest.raises(errors.ValidationFailed):
        check_decision(False, "x" * 201)


def test_mail_address_and_counter_at_the_permit_office():
    assert check_mail_address(" 海口市 美兰区 海甸五西路8号 ") == "海口市 美兰区 海甸五西路8号"
    for bad in (None, "", "海口"):
        with pytest.raises(errors.ValidationFailed):
            check_mail_address(bad)
    check_collection_office("hk-longhua-jinmao-ps", "hk-longhua-jinmao-ps")
    with pytest.raises(errors.ValidationFailed):
        check_collection_office("hk-meilan-haidian-ps", "hk-longhua-jinmao-ps")


def test_completion_at_the_counter_waits_for_the_check_in():
    check_completion("mail", None)
    for status in ("checked_in", "completed"):
        check_completion("window", status)
    for status in ("booked", "cancelled", "no_show", None):
        with pytest.raises(errors.InvalidState):
            check_completion("window", status)


def test_what_completion_does_to_the_permit():
    today = date(2026, 10, 3)
    renewal = on_completion(Kind.RENEWAL, details_for(Kind.RENEWAL, None, None, None, None, None), EXPIRES, today)
    assert (renewal.valid_until, renewal.last_endorsed) == (date(2027, 10, 15), today)  # a year from the expiry
    change = on_completion(
        Kind.CHANGE, details_for(Kind.CHANGE, None, CHANGED, "新地址1号楼", "新公司", None), EXPIRES, today
    )
    assert (change.valid_until, change.address, change.employer, change.school) == (None, "新地址1号楼", "新公司", None)
    assert on_completion(
        Kind.REPLACEMENT, details_for(Kind.REPLACEMENT, "lost", None, None, None, None), EXPIRES, today
    ).__dict__ == {k: None for k in ("valid_until", "last_endorsed", "address", "employer", "school")}

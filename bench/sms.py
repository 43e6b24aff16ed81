"""SMS cost of one booking (`python -m bench.sms [--results bench/results.json]`): the billed segments
of a booking's SMS and its day-before reminder, averaged over the demo's bookable services.

Mainland carriers bill an SMS of up to 70 characters (signature included, any script) as one message
and a longer one as segments of 67. Each bookable service of data/demo.json is booked at the first
demo office that offers it (so every service counts once), with the reference at its full length, in
Chinese (the default language) and English; `sms_segments_per_booking` is the Chinese average (the
English one is reported beside it). `--templates PATH` measures another messages.json (e.g. an older
one: `git show <rev>:layers/core/hallbook/messages.json > /tmp/old.json`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "layers" / "core"))

SEGMENT = 70  # one billed message
PART = 67  # each segment of a longer one
REFERENCE = "K7M2-9QXH"  # domain.reference: 8 symbols in two groups, always 9 characters
DAY = date(2026, 12, 31)  # the longest short day (12月31日)


def segments(text: str) -> int:
    return 1 if len(text) <= SEGMENT else math.ceil(len(text) / PART)


def measure(templates: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    from hallbook.services import messages
    from hallbook.store.bookings import Booking
    from hallbook.store.catalog import office_from, service_from

    demo = json.loads((REPO / "data" / "demo.json").read_text(encoding="utf-8"))
    offices = [office_from({**o, "region": o.get("region", "")}) for o in demo["offices"]]
    chosen = templates or messages.templates()
    per_lang: dict[str, list[int]] = {"zh": [], "en": []}
    for data in demo["services"]:
        service = service_from(data)
        if not service.appointment_required:
            continue
        office = next((o for o in offices if service.code in o.services), None)
        if office is None:
            continue
        booking = Booking("b", REFERENCE, "a", "", office.office_id, service.code, DAY, "09:00", "09:30", "booked", "")
        params = {**messages.booking_params(booking, office, service)}
        for lang in per_lang:
            total = 0
            for template in ("booked", "reminder"):
                options = chosen[template]
                text = options.get(lang, options["zh"]).format(**params, **messages.sms_forms(params, lang))
                total += segments(text)
            per_lang[lang].append(total)
    return {
        "sms_segments_per_booking": round(sum(per_lang["zh"]) / len(per_lang["zh"]), 3),
        "sms_segments_per_booking_en": round(sum(per_lang["en"]) / len(per_lang["en"]), 3),
        "sms_services_measured": len(per_lang["zh"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", help="a messages.json to measure instead of the layer's")
    parser.add_argument("--results", help="merge the keys into this results.json")
    args = parser.parse_args()
    templates = json.loads(Path(args.templates).read_text(encoding="utf-8")) if args.templates else None
    outcome = measure(templates)
    print(json.dumps(outcome, indent=1))
    if args.results:
        path = Path(args.results)
        results = json.loads(path.read_text()) if path.exists() else {}
        results.update(outcome)
        path.write_text(json.dumps(dict(sorted(results.items())), indent=2) + "\n")


if __name__ == "__main__":
    main()

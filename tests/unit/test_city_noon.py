"""bench/city_noon.py, the city-scale noon model: its bookkeeping holds, and it reads the platform
from template.yaml. What it answers for a real city is a model's answer, kept in bench/README.md."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench import city_noon

SMALL = city_noon.City(halls=6, services=5, phones=6_000)


@pytest.fixture(scope="module")
def platform() -> city_noon.Platform:
    return city_noon.platform_from_template()


@pytest.fixture(scope="module")
def runs(platform):
    return city_noon.first_come(SMALL, platform, 120, 1.0), city_noon.drawn(SMALL, platform, 720, 1.0)


def test_the_platform_is_the_templates(platform) -> None:
    # the figures template.yaml's MethodSettings, Parameters and WebAcl state (read there by hand)
    assert (platform.booking_rate, platform.booking_burst) == (3000, 5000)
    assert (platform.provisioned, platform.reserved) == (200, 300)
    assert platform.posts_per_token_per_s == 1.0  # bookings-per-token: 60 a minute


@pytest.mark.R7
def test_no_mode_books_more_places_than_there_are(runs) -> None:
    for tally in runs:
        assert 0 < tally.counts["bookings"] <= tally.counts["places"] + 1e-6
        assert all(later >= earlier for earlier, later in zip(tally.bookings, tally.bookings[1:]))


@pytest.mark.R23
def test_speed_wins_places_first_come_and_nothing_in_a_draw(runs) -> None:
    first_come, drawn = runs
    share = SMALL.scripts
    assert first_come.counts["bookings_by_scripts"] / first_come.counts["bookings"] > 2 * share
    assert drawn.counts["bookings_by_scripts"] / drawn.counts["bookings"] == pytest.approx(share)


def test_more_gateway_rate_means_fewer_throttles(platform) -> None:
    tight = city_noon.first_come(SMALL, replace(platform, booking_rate=100, booking_burst=100), 60, 1.0)
    loose = city_noon.first_come(SMALL, replace(platform, booking_rate=100_000, booking_burst=100_000), 60, 1.0)
    assert loose.counts["throttles"] < tight.counts["throttles"]


def test_p99_of_one_class_is_its_lognormal_quantile() -> None:
    tally = city_noon.Tally()
    tally.served(100.0, 1.0)
    # exp(ln 100 + 2.3263 * 0.35): the standard normal's 99th percentile, from a table
    assert city_noon.p99_ms(tally) == pytest.approx(225.9, abs=1.0)

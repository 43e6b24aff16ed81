"""The noon at a city's scale, on paper: a model, not a measurement (`python -m bench.city_noon`).

A Guangzhou-sized city (150 halls x 20 services, 300,000 phones in the first minute) meets the
deployed platform as template.yaml declares it, first-come at 12:00 and drawn (R23). The model
steps through time (0.1 s) with every hall-service's demand and places as vectors and applies, in
the order a request meets them:

1. API Gateway's throttles: a token bucket per method from the template's `MethodSettings` (rate and
   burst) inside the account's regional bucket (10,000 requests/s, burst 5,000): a refused request is
   a 429 that costs nothing further; a human retries at their next attempt;
2. the stage cache (availability, 1 s TTL, keyed per hall-service): one miss a second reaches Lambda;
3. Lambda: `NoonWarmConcurrency` provisioned environments, on-demand ones added at most 1,000 per
   10 s (Lambda's scaling rate per function), never beyond `CitizenApiReservedConcurrency`; an
   invocation that finds no environment is throttled (429); a new environment's first request pays
   the cold start (the measured import, bench/results.json, plus init);
4. DynamoDB: each hall-service's slots are one partition (1,000 WCU/s, 3,000 RCU/s; adaptive
   capacity and splits for heat are ignored, which is the pessimistic side); a booking is one
   transaction (2 WCU on the slot's partition, 8 WCU in all); a refused attempt costs what the
   environment's negative cache leaves (one day Query a second per environment that serves the
   hall-service, refusals within that second none); a request beyond the partition's units is
   throttled and retried by the SDK (+100 ms).

Phones: the arrivals of the first minute fall off exponentially (half in the first 6 s); a phone
reads availability, books, and while places are left retries every 2 s; once its day is sold out it
refreshes every 5 s for a minute on average. Scripts (5 % of phones) post every 0.5 s for the whole
five minutes. Drawn (R23): speed gains nothing, so 40 % enter in the first minute and the rest
spread over the ten-minute entry period; each phone reads availability once and enters once (one
conditional write of the entry and the subject's R9 lock, keyed by subject: spread over partitions,
no slot contention); at 12:10 the draw job books every winner through the usual transaction, fanned
out one message per hall-service, and every phone reads its result once.

Prices: `PRICES` below, in CNY, each with where it comes from and the date it was read. Those that
are not the China regions' published price say so: check them against amazonaws.cn before using the
cost figure for anything but comparing first-come with drawn.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "template.yaml"
RESULTS = HERE / "results.json"
PLOT = HERE / "city_noon.png"

# (price in CNY, unit, source and date read). The on-demand write price is the China regions' own page;
# the others are the US list price at 7.10 CNY/USD where no China figure could be read here.
PRICES: dict[str, tuple[float, str, str]] = {
    "lambda_request": (1.42 / 1e6, "per request", "US list $0.20/M x 7.10 (China page not readable here), 2026-12-07"),
    "lambda_gb_second_arm": (0.0000133334 * 7.10, "per GB-s, arm64", "US list x 7.10, 2026-12-07"),
    "api_gateway_request": (3.50 * 7.10 / 1e6, "per REST request", "US list $3.50/M x 7.10, 2026-12-07"),
    "dynamodb_write_unit": (
        11.1538 / 1e6,
        "per write request unit, on demand",
        "amazonaws.cn/en/dynamodb/pricing (China Beijing/Ningxia), read 2026-12-07",
    ),
    "dynamodb_read_unit": (11.1538 / 5 / 1e6, "per read request unit", "the page's write price / 5 (the US ratio)"),
    "sms_segment": (0.045, "per billed segment", "Alibaba Cloud SMS mainland list price 0.045 CNY/segment, 2026-12-07"),
}


@dataclass(frozen=True)
class City:
    halls: int = 150
    services: int = 20
    phones: int = 300_000  # arriving in the first minute
    slots_per_day: int = 14
    capacity_per_slot: float = 2.0  # mean places per slot of a hall-service (1-3)
    zipf: float = 1.1  # popularity of hall-services: the k-th most wanted gets ~ 1/k^zipf of the phones
    first_minute_half_life_s: float = 6.0
    retry_s: float = 2.0
    refresh_s: float = 5.0
    keeps_refreshing_s: float = 60.0
    scripts: float = 0.05
    script_period_s: float = 0.5
    drawn_first_minute: float = 0.4
    entry_minutes: int = 10
    entry_retry_s: float = 30.0
    seed: int = 20261207


@dataclass(frozen=True)
class Platform:
    booking_rate: float
    booking_burst: float
    availability_rate: float
    availability_burst: float
    default_rate: float
    default_burst: float
    entry_rate: float
    entry_burst: float
    provisioned: int
    reserved: int
    memory_gb: float
    cold_start_ms: float
    posts_per_token_per_s: float  # WAF's bookings-per-token rule (requests per window / window)
    account_rate: float = 10_000.0
    account_burst: float = 5_000.0
    scale_per_10s: int = 1_000
    partition_wcu: float = 1_000.0
    partition_rcu: float = 3_000.0
    gateway_ms: float = 12.0
    cache_hit_ms: float = 8.0
    booking_ms: float = 45.0
    refused_cached_ms: float = 4.0
    refused_read_ms: float = 14.0
    availability_ms: float = 25.0
    entry_ms: float = 20.0
    result_ms: float = 15.0
    ddb_retry_ms: float = 100.0
    day_query_rcu: float = 4.0
    booking_wcu_slot: float = 2.0  # the slot item's share of a transaction (2 WCU per item in a transaction)
    booking_wcu: float = 8.0  # the whole transaction: slot, subject, booking, outbox
    entry_wcu: float = 4.0  # entry + the subject's R9 lock, in one transaction
    job_environments: int = 50
    job_ms_per_booking: float = 35.0
    sms_rate_per_s: float = 20.0


def _template() -> dict:
    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml's parser: a tenth of the time
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    loaded: dict = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=Loader)
    return loaded


def platform_from_template(results_path: Path = RESULTS) -> Platform:
    """Throttles, concurrency, memory and the SMS rate as template.yaml declares them (its defaults);
    the cold start from the last `make bench` (the citizen API's import with the build's bytecode)."""
    template = _template()
    parameters = template["Parameters"]
    settings = template["Resources"]["Api"]["Properties"]["MethodSettings"]

    def method(path: str, verb: str) -> tuple[float, float]:
        for setting in settings:
            if setting["ResourcePath"] == path and setting["HttpMethod"] == verb:
                return float(setting["ThrottlingRateLimit"]), float(setting["ThrottlingBurstLimit"])
        raise KeyError(f"{verb} {path}")

    booking = method("/~1v1~1bookings", "POST")
    availability = method("/~1v1~1offices~1{office_id}~1availability", "GET")
    default = method("/*", "*")
    try:
        entries = method("/~1v1~1draw-entries", "POST")
    except KeyError:  # no setting of its own: the stage's "/*"
        entries = default
    memory = template["Globals"]["Function"].get("MemorySize", 1024)
    measured = json.loads(results_path.read_text()) if results_path.exists() else {}
    return Platform(
        booking_rate=booking[0],
        booking_burst=booking[1],
        availability_rate=availability[0],
        availability_burst=availability[1],
        default_rate=default[0],
        default_burst=default[1],
        entry_rate=entries[0],
        entry_burst=entries[1],
        provisioned=int(parameters["NoonWarmConcurrency"]["Default"]),
        reserved=int(parameters["CitizenApiReservedConcurrency"]["Default"]),
        memory_gb=memory / 1024,
        posts_per_token_per_s=_waf_rate(template, "bookings-per-token"),
        cold_start_ms=float(measured.get("import_ms_citizen_api", 600.0)) + 250.0,
        sms_rate_per_s=float(parameters["SmsRatePerSecond"]["Default"]),
    )


def _waf_rate(template: dict, rule_name: str) -> float:
    for rule in template["Resources"]["WebAcl"]["Properties"]["Rules"]:
        if rule["Name"] == rule_name:
            statement = rule["Statement"]["RateBasedStatement"]
            return float(statement["Limit"]) / float(statement.get("EvaluationWindowSec", 300))
    raise KeyError(rule_name)


class Bucket:
    """API Gateway's token bucket: `rate` tokens a second up to `burst`."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst, self.tokens = rate, burst, burst

    def admit(self, wanted: float, dt: float) -> float:
        self.tokens = min(self.burst, self.tokens + self.rate * dt)
        admitted = min(wanted, self.tokens)
        self.tokens -= admitted
        return admitted


@dataclass
class Tally:
    """Everything counted over a run, and per step for the plot."""

    seconds: list[float] = field(default_factory=list)
    requests_per_s: list[float] = field(default_factory=list)
    throttles_per_s: list[float] = field(default_factory=list)
    bookings: list[float] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)  # median ms -> requests
    counts: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, amount: float) -> None:
        self.counts[name] = self.counts.get(name, 0.0) + float(amount)

    def served(self, median_ms: float, amount: float) -> None:
        if amount > 0:
            key = f"{median_ms:.1f}"
            self.latency[key] = self.latency.get(key, 0.0) + float(amount)


def demand(city: City) -> tuple[np.ndarray, np.ndarray]:
    """(phones per hall-service, places per hall-service), Zipf-popular, capacities 1-3 a slot."""
    rng = np.random.default_rng(city.seed)
    k = city.halls * city.services
    weights = 1.0 / np.arange(1, k + 1) ** city.zipf
    phones = city.phones * weights / weights.sum()
    rng.shuffle(phones)
    capacity = rng.integers(1, 4, size=(k, city.slots_per_day)).sum(axis=1).astype(float)
    return phones, capacity * city.capacity_per_slot / 2.0


def first_minute_density(t: float, city: City) -> float:
    """The share of the first minute's phones that arrive per second at t (exponential fall-off)."""
    if t < 0 or t >= 60:
        return 0.0
    rate = math.log(2) / city.first_minute_half_life_s
    return rate * math.exp(-rate * t) / (1 - math.exp(-rate * 60))


class Lambda:
    """One function's environments: provisioned, then on demand at the scaling rate, up to reserved."""

    def __init__(self, platform: Platform, provisioned: int):
        self.platform = platform
        self.environments = float(provisioned)
        self.allowance = float(platform.scale_per_10s)  # what may be added in the current 10 s
        self.window_start = 0.0

    def run(self, t: float, invocations: float, mean_ms: float, dt: float) -> tuple[float, float, float]:
        """(served, throttled, cold starts) of `invocations` this step, each `mean_ms` long."""
        if t - self.window_start >= 10:
            self.window_start, self.allowance = t, float(self.platform.scale_per_10s)
        needed = invocations / dt * mean_ms / 1000  # Little's law: environments busy at once
        cold = 0.0
        if needed > self.environments:
            grow = min(needed - self.environments, self.allowance, self.platform.reserved - self.environments)
            grow = max(grow, 0.0)
            self.environments += grow
            self.allowance -= grow
            cold = grow
        served = invocations if needed <= self.environments else invocations * self.environments / needed
        return served, invocations - served, min(cold, served)


def first_come(city: City, platform: Platform, seconds: float = 300.0, dt: float = 0.1) -> Tally:
    phones, places = demand(city)
    humans, scripts = phones * (1 - city.scripts), phones * city.scripts
    remaining = places.copy()
    seekers = np.zeros_like(phones)
    watchers = np.zeros_like(phones)
    tally = Tally()
    booking_bucket = Bucket(platform.booking_rate, platform.booking_burst)
    availability_bucket = Bucket(platform.availability_rate, platform.availability_burst)
    account = Bucket(platform.account_rate, platform.account_burst)
    function = Lambda(platform, platform.provisioned)
    booked_total = 0.0
    for step in range(int(seconds / dt)):
        t = step * dt
        arriving = humans * first_minute_density(t, city) * dt
        open_ = remaining > 0.5
        seekers += np.where(open_, arriving, 0.0)
        watchers += np.where(open_, 0.0, arriving)
        # sold-out days turn their seekers into watchers; watchers give up over a minute
        watchers += np.where(open_, 0.0, seekers)
        seekers = np.where(open_, seekers, 0.0)
        watchers -= watchers * dt / city.keeps_refreshing_s
        reads = arriving + seekers * dt / city.retry_s + watchers * dt / city.refresh_s
        # scripts: WAF (in front of API Gateway) blocks a token's posts beyond its rate-based rule
        script_posts = scripts * dt / city.script_period_s
        script_passed = np.minimum(script_posts, scripts * platform.posts_per_token_per_s * dt)
        tally.add("waf_blocked", (script_posts - script_passed).sum())
        posts = arriving + seekers * dt / city.retry_s + script_passed
        # 1. API Gateway: the method's bucket, then the account's
        read_ok = availability_bucket.admit(reads.sum(), dt)
        post_ok = booking_bucket.admit(posts.sum(), dt)
        both = account.admit(read_ok + post_ok, dt)
        share = both / max(read_ok + post_ok, 1e-9)
        read_ok, post_ok = read_ok * share, post_ok * share
        throttled = reads.sum() + posts.sum() - read_ok - post_ok
        reads_k = reads * read_ok / max(reads.sum(), 1e-9)
        posts_k = posts * post_ok / max(posts.sum(), 1e-9)
        # 2. the stage cache: one miss a second per hall-service being read
        misses = np.minimum(reads_k, dt)
        tally.served(platform.cache_hit_ms, reads_k.sum() - misses.sum())
        # 3. Lambda
        wins_wanted = np.minimum(posts_k, remaining)
        refused_k = posts_k - wins_wanted
        invocations = misses.sum() + posts_k.sum()
        mean_ms = (
            misses.sum() * platform.availability_ms
            + wins_wanted.sum() * platform.booking_ms
            + refused_k.sum() * platform.refused_cached_ms
        ) / max(invocations, 1e-9)
        served, lambda_throttled, cold = function.run(t, invocations, mean_ms, dt)
        fraction = served / max(invocations, 1e-9)
        throttled += lambda_throttled
        # 4. DynamoDB per partition: the slot's writes, and a day Query a second per environment at most
        wins = wins_wanted * fraction
        write_units = wins * platform.booking_wcu_slot
        write_cap = platform.partition_wcu * dt
        write_throttled = np.maximum(write_units - write_cap, 0) / platform.booking_wcu_slot
        wins = wins - write_throttled  # retried by the SDK next step: the place stays until then
        # who wins a place: the posts that reach it, humans' and scripts' alike
        script_share = np.where(posts > 0, script_passed / np.maximum(posts, 1e-9), 0.0)
        tally.add("bookings_by_scripts", (wins * script_share).sum())
        day_queries = np.minimum(refused_k * fraction, function.environments * dt)
        read_units = day_queries * platform.day_query_rcu + misses * fraction * platform.day_query_rcu
        read_throttled = np.maximum(read_units - platform.partition_rcu * dt, 0) / platform.day_query_rcu
        remaining = np.maximum(remaining - wins, 0.0)
        booked_total += wins.sum()
        refused_served = refused_k.sum() * fraction
        tally.served(platform.gateway_ms + platform.booking_ms, wins.sum())
        tally.served(platform.gateway_ms + platform.booking_ms + platform.ddb_retry_ms, write_throttled.sum())
        tally.served(platform.gateway_ms + platform.refused_read_ms, day_queries.sum())
        tally.served(platform.gateway_ms + platform.refused_cached_ms, refused_served - day_queries.sum())
        tally.served(platform.gateway_ms + platform.availability_ms, misses.sum() * fraction)
        tally.served(platform.gateway_ms + platform.ddb_retry_ms, read_throttled.sum())
        tally.served(platform.gateway_ms + platform.cold_start_ms, cold)
        tally.add("api_requests", reads.sum() + posts.sum())
        tally.add("lambda_invocations", served)
        tally.add(
            "lambda_gb_seconds", served * mean_ms / 1000 * platform.memory_gb + cold * platform.cold_start_ms / 1000
        )
        tally.add("write_units", wins.sum() * platform.booking_wcu)
        tally.add("read_units", read_units.sum() + wins.sum() * 2.0)  # + the attempt's BatchGetItem
        tally.add("throttles", throttled)
        tally.add("dynamodb_throttles", write_throttled.sum() + read_throttled.sum())
        tally.add("cold_starts", cold)
        if step % int(1 / dt) == 0:
            tally.seconds.append(t)
            tally.requests_per_s.append((reads.sum() + posts.sum()) / dt)
            tally.throttles_per_s.append(throttled / dt)
            tally.bookings.append(booked_total)
    tally.add("bookings", booked_total)
    tally.add("places", places.sum())
    tally.add("sms_segments", booked_total * 2)  # the booking SMS and the reminder, one segment each
    tally.add("sms_drain_s", booked_total / platform.sms_rate_per_s)
    tally.add("sold_out_hall_services", float((remaining < 0.5).sum()))
    return tally


def drawn(city: City, platform: Platform, seconds: float = 900.0, dt: float = 0.1) -> Tally:
    phones, places = demand(city)
    entries_total = phones.sum()
    period = city.entry_minutes * 60.0
    tally = Tally()
    entry_bucket = Bucket(platform.entry_rate, platform.entry_burst)
    availability_bucket = Bucket(platform.availability_rate, platform.availability_burst)
    account = Bucket(platform.account_rate, platform.account_burst)
    function = Lambda(platform, platform.provisioned)
    pending = 0.0  # throttled entries retried a second later
    booked_total = 0.0
    winners = min(entries_total, places.sum())
    job_rate = platform.job_environments * 1000 / platform.job_ms_per_booking
    for step in range(int(seconds / dt)):
        t = step * dt
        fresh = 0.0
        if t < period:
            density = city.drawn_first_minute * first_minute_density(t, city) + (1 - city.drawn_first_minute) / period
            fresh = entries_total * density * dt
        # a refused entry comes back within its Retry-After (the page says there is no hurry): 30 s, spread
        retrying = pending * dt / city.entry_retry_s if t < period else 0.0
        pending -= retrying
        entering = fresh + retrying
        results = entries_total / 120.0 * dt if period <= t < period + 120 else 0.0
        reads = fresh + results
        read_ok = availability_bucket.admit(reads, dt)
        entry_ok = entry_bucket.admit(entering, dt)
        both = account.admit(read_ok + entry_ok, dt)
        share = both / max(read_ok + entry_ok, 1e-9)
        read_ok, entry_ok = read_ok * share, entry_ok * share
        throttled = reads + entering - read_ok - entry_ok
        pending += entering - entry_ok
        misses = min(read_ok, phones.size * dt)  # one miss a second per hall-service at most
        tally.served(platform.cache_hit_ms, read_ok - misses)
        invocations = misses + entry_ok
        mean_ms = (misses * platform.availability_ms + entry_ok * platform.entry_ms) / max(invocations, 1e-9)
        served, lambda_throttled, cold = function.run(t, invocations, mean_ms, dt)
        throttled += lambda_throttled
        fraction = served / max(invocations, 1e-9)
        tally.served(platform.gateway_ms + platform.entry_ms, entry_ok * fraction)
        tally.served(platform.gateway_ms + platform.availability_ms, misses * fraction)
        tally.served(platform.gateway_ms + platform.cold_start_ms, cold)
        booked_now = 0.0
        if t >= period and booked_total < winners:
            booked_now = min(job_rate * dt, winners - booked_total)
            booked_total += booked_now
        tally.add("api_requests", reads + entering)
        tally.add("lambda_invocations", served + booked_now / 10)  # the job: a batch of 10 bookings per invocation
        tally.add(
            "lambda_gb_seconds",
            served * mean_ms / 1000 * platform.memory_gb + booked_now * platform.job_ms_per_booking / 1000 * 0.25,
        )
        tally.add("write_units", entry_ok * fraction * platform.entry_wcu + booked_now * platform.booking_wcu)
        tally.add("read_units", misses * fraction * platform.day_query_rcu + booked_now * 2.0)
        tally.add("throttles", throttled)
        tally.add("cold_starts", cold)
        if step % int(1 / dt) == 0:
            tally.seconds.append(t)
            tally.requests_per_s.append((reads + entering) / dt)
            tally.throttles_per_s.append(throttled / dt)
            tally.bookings.append(booked_total)
    tally.add("bookings", booked_total)
    tally.add("places", places.sum())
    tally.add("entries", entries_total)
    # every entrant is told (winners: the booking; the others: the result), and winners are reminded
    tally.add("sms_segments", entries_total + booked_total)
    tally.add("sms_drain_s", (entries_total + booked_total) / platform.sms_rate_per_s)
    tally.add("bookings_by_scripts", booked_total * city.scripts)  # one entry each: their share of entrants
    tally.add("draw_job_s", winners / job_rate)
    return tally


def p99_ms(tally: Tally, sigma: float = 0.35) -> float:
    """The 99th percentile of served requests' latency: each class lognormal around its median."""
    grid = np.linspace(1, 5000, 20000)
    cdf = np.zeros_like(grid)
    total = sum(tally.latency.values())
    for median, amount in tally.latency.items():
        z = (np.log(grid) - math.log(float(median))) / sigma
        cdf += amount / total * _normal_cdf(z)
    return float(grid[min(np.searchsorted(cdf, 0.99), grid.size - 1)])


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z) by Abramowitz and Stegun 7.1.26 (error below 1.5e-7): numpy has no erf."""
    x = np.abs(z) / math.sqrt(2)
    t = 1 / (1 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1 - poly * np.exp(-x * x)
    return 0.5 * (1 + np.sign(z) * erf)


def cost_per_1000_bookings(tally: Tally) -> dict[str, float]:
    counts = tally.counts
    parts = {
        "api_gateway": counts["api_requests"] * PRICES["api_gateway_request"][0],
        "lambda": counts["lambda_invocations"] * PRICES["lambda_request"][0]
        + counts["lambda_gb_seconds"] * PRICES["lambda_gb_second_arm"][0],
        "dynamodb": counts["write_units"] * PRICES["dynamodb_write_unit"][0]
        + counts["read_units"] * PRICES["dynamodb_read_unit"][0],
        "sms": counts["sms_segments"] * PRICES["sms_segment"][0],
    }
    per = 1000 / max(counts["bookings"], 1.0)
    aws = parts["api_gateway"] + parts["lambda"] + parts["dynamodb"]
    return {name: value * per for name, value in parts.items()} | {"aws": aws * per, "total": sum(parts.values()) * per}


def plot(fc: Tally, dr: Tally, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(3, 2, figsize=(12, 9), sharex="col")
    for column, (start, end, title) in enumerate(
        ((0, 300, "12:00-12:05"), (540, 900, "12:09-12:15 (the draw closes at 12:10)"))
    ):
        for tally, name, style in ((fc, "first-come", "-"), (dr, "drawn (R23)", "--")):
            seconds = np.array(tally.seconds)
            keep = (seconds >= start) & (seconds <= end)
            if not keep.any():
                continue
            x = seconds[keep] / 60
            axes[0][column].plot(x, np.array(tally.requests_per_s)[keep], style, label=name)
            axes[1][column].plot(x, np.array(tally.throttles_per_s)[keep], style, label=name)
            axes[2][column].plot(x, np.array(tally.bookings)[keep], style, label=name)
        axes[0][column].set_title(title)
        axes[2][column].set_xlabel("minutes after 12:00")
    axes[0][0].set_ylabel("requests/s")
    axes[1][0].set_ylabel("throttled/s (429)")
    axes[2][0].set_ylabel("bookings (cumulative)")
    for row in axes:
        for axis in row:
            axis.grid(alpha=0.3)
    axes[0][0].legend()
    figure.suptitle("A Guangzhou-sized noon on the deployed template: first-come vs drawn (model, bench/city_noon.py)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def run(
    city: City | None = None, platform: Platform | None = None, plot_to: Path | None = PLOT, seconds: float = 300.0
) -> dict:
    city = city or City()
    platform = platform or platform_from_template()
    fc, dr = first_come(city, platform, seconds), drawn(city, platform, city.entry_minutes * 60 + seconds)
    if plot_to is not None:
        plot(fc, dr, plot_to)
    fc_cost, dr_cost = cost_per_1000_bookings(fc), cost_per_1000_bookings(dr)
    return {
        "city_noon_throttles": round(fc.counts["throttles"]),
        "city_noon_p99_ms": round(p99_ms(fc)),
        "city_cost_per_1000_bookings_cny": round(fc_cost["total"], 2),
        "city_noon_throttles_drawn": round(dr.counts["throttles"]),
        "city_noon_p99_ms_drawn": round(p99_ms(dr)),
        "city_cost_per_1000_bookings_cny_drawn": round(dr_cost["total"], 2),
        "details": {
            "city": asdict(city),
            "platform": asdict(platform),
            "first_come": {k: round(v, 1) for k, v in fc.counts.items()} | {"cost": fc_cost},
            "drawn": {k: round(v, 1) for k, v in dr.counts.items()} | {"cost": dr_cost},
            "prices": {name: {"cny": p, "unit": u, "source": s} for name, (p, u, s) in PRICES.items()},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=City.phones)
    parser.add_argument("--halls", type=int, default=City.halls)
    parser.add_argument("--provisioned", type=int, help="NoonWarmConcurrency (default: the template's)")
    parser.add_argument("--reserved", type=int, help="CitizenApiReservedConcurrency (default: the template's)")
    parser.add_argument(
        "--booking-rate", type=float, help="POST /v1/bookings throttling rate (default: the template's)"
    )
    parser.add_argument("--results", help="merge the three keys into this results.json")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    platform = platform_from_template()
    changes = {
        name: value
        for name, value in (
            ("provisioned", args.provisioned),
            ("reserved", args.reserved),
            ("booking_rate", args.booking_rate),
        )
        if value is not None
    }
    outcome = run(
        City(phones=args.phones, halls=args.halls), replace(platform, **changes), None if args.no_plot else PLOT
    )
    print(json.dumps(outcome, indent=1, ensure_ascii=False))
    if args.results:
        path = Path(args.results)
        results = json.loads(path.read_text()) if path.exists() else {}
        results.update({k: v for k, v in outcome.items() if k != "details"})
        path.write_text(json.dumps(dict(sorted(results.items())), indent=2) + "\n")


if __name__ == "__main__":
    main()

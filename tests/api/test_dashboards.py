"""Issue 14: no dashboard panel and no alarm points at nothing.

The template's dashboards (their DashboardBody JSON) and alarms are read, and every metric they name is
collected. A day of the system is then played through the API and the clock (bookings and every
refusal the noon rush panel shows, cancellations by a citizen, an operator and the hall, the release,
sweeps, reminders, SMS sent and failing, the hall's queue), capturing the EMF lines the handlers
print. Each Hallbook metric must have been emitted with exactly the dimensions the panel names;
each AWS metric must be one that service publishes, for a resource (table, queue, function, route)
the template declares."""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime, timedelta

import pytest

from hallbook.clock import now
from hallbook.services import accounts
from local.template import api_routes, read_sam_template
from tests.support import (
    OFFICE,
    SERVICE,
    WALK_IN,
    auth,
    login,
    next_working_day,
    operator_books_and_cancels,
    put_test_office,
    registered,
    release_days,
)

NAMESPACE = "Hallbook"
# what each AWS service publishes, of the metrics a panel may name (a typo here points at nothing)
AWS_METRICS = {
    "AWS/ApiGateway": {
        "4XXError",
        "5XXError",
        "Count",
        "Latency",
        "IntegrationLatency",
        "CacheHitCount",
        "CacheMissCount",
    },
    "AWS/Lambda": {"ConcurrentExecutions", "Throttles", "Errors", "Invocations", "Duration"},
    "AWS/DynamoDB": {
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
        "ReadThrottleEvents",
        "WriteThrottleEvents",
        "ThrottledRequests",
        "TransactionConflict",
    },
    "AWS/SQS": {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateAgeOfOldestMessage",
    },
}
PSEUDO = {"AWS::StackName", "AWS::Region"}


# ---------------------------------------------------------------- what the template names


@functools.lru_cache(maxsize=1)
def _template():
    return read_sam_template()


def _sub_text(value) -> str:
    return value["Fn::Sub"] if isinstance(value, dict) else value


def _resolve(text: str, resources: dict) -> str:
    """${Logical} and ${Logical.Attr} -> the logical id (local mode names functions so, and a test can
    check the resource exists); ${AWS::...} stays a marker."""

    def one(match: re.Match) -> str:
        name = match.group(1)
        if name in PSEUDO:
            return f"<{name}>"
        logical = name.split(".", 1)[0]
        assert logical in resources, f"${{{name}}} names no resource of the template"
        return logical

    return re.sub(r"\$\{([^}]+)\}", one, text)


def dashboards() -> dict[str, dict]:
    template = _template()
    resources = template["Resources"]
    bodies = {}
    for name, resource in resources.items():
        if resource["Type"] == "AWS::CloudWatch::Dashboard":
            bodies[name] = json.loads(_resolve(_sub_text(resource["Properties"]["DashboardBody"]), resources))
    return bodies


def _search_metrics(expression: str) -> list[tuple[str, str, frozenset]]:
    found = []
    for schema, name in re.findall(r"SEARCH\('\{([^}]*)\}\s+MetricName=\"(\w+)\"", expression):
        namespace, *keys = [p.strip() for p in schema.split(",")]
        found.append((namespace, name, frozenset((k, "*") for k in keys)))
    return found


def panel_metrics() -> list[tuple[str, str, str, frozenset]]:
    """(dashboard, namespace, metric, {(dimension, value)}) of every panel; value "*" from a SEARCH."""
    named = []
    for board, body in dashboards().items():
        for widget in body["widgets"]:
            for row in widget["properties"].get("metrics", []):
                head = [part for part in row if not isinstance(part, dict)]
                options = [part for part in row if isinstance(part, dict)]
                if not head:
                    for option in options:
                        named += [(board, *m) for m in _search_metrics(option.get("expression", ""))]
                    continue
                namespace, metric, *pairs = head
                assert len(pairs) % 2 == 0, row
                named.append((board, namespace, metric, frozenset(zip(pairs[::2], pairs[1::2]))))
    return named


def _value(value, resources) -> str:
    if isinstance(value, dict) and "Ref" in value:
        if value["Ref"] in PSEUDO:
            return f"<{value['Ref']}>"
        assert value["Ref"] in resources, value
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        assert value["Fn::GetAtt"][0] in resources, value
        return value["Fn::GetAtt"][0]
    return str(value)


def alarm_metrics() -> list[tuple[str, str, str, frozenset]]:
    template = _template()
    resources = template["Resources"]
    named = []
    for name, resource in resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        metrics = (
            [props]
            if "MetricName" in props
            else [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m]
        )
        assert metrics, f"{name} names no metric"
        for metric in metrics:
            dims = frozenset((d["Name"], _value(d["Value"], resources)) for d in metric.get("Dimensions", []))
            named.append((name, metric["Namespace"], metric["MetricName"], dims))
    return named


# ---------------------------------------------------------------- a day of the system


def _emf_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            lines.append(json.loads(line))
    return lines


def emitted_metrics(lines: list[dict]) -> set[tuple[str, str, frozenset]]:
    found = set()
    for blob in lines:
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = frozenset((k, str(blob[k])) for k in dimension_set)
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], dims))
    return found


@pytest.fixture
def day_of_metrics(system, api, capsys) -> set[tuple[str, str, frozenset]]:
    from aws_lambda_powertools.metrics.provider import cold_start

    put_test_office(capacity=1)
    release_days()
    accounts.create_staff_account("admin", "admin-pass-1", "admin", "管理员", None, now())
    accounts.create_staff_account("operator", "operator-pass-1", "operator", "话务员", None, now())
    accounts.create_staff_account(f"staff@{OFFICE}", "staff-pass-1", "staff", "窗口", OFFICE, now())
    capsys.readouterr()

    cold_start.reset_cold_start_flag()  # this process served earlier tests: the next call is a cold start
    assert api.invoke("GET", "/v1/services").status == 200
    admin = login(api, "admin", "admin-pass-1")
    operator = login(api, "operator", "operator-pass-1")
    day = next_working_day()
    later = next_working_day(after=3)
    a, b, c, d = (registered(system) for _ in range(4))

    first = a.book(day, "09:00")
    assert first.status == 201
    assert b.book(day, "09:00").json()["code"] == "SLOT_FULL"
    assert a.book(day, "09:30").json()["code"] == "ALREADY_BOOKED"
    assert b.book(day, "09:30").status == 201  # never checked in: the sweep makes it a no-show
    assert a.get("/v1/bookings").status == 200
    for _ in range(2):  # a phone polling: the second read within the second is the environment's cache's
        assert api.invoke("GET", f"/v1/offices/{OFFICE}/availability", query={"service": SERVICE}).status == 200
    # R11: the third cancellation of the month suspends; each on its own day (R19: a cancelled place
    # returns to the pool only after a delay)
    days: list = []
    while len(days) < 3:
        days.append(next_working_day(after=((days[-1] if days else later) - now().date()).days + 1))
    for other_day in days:
        booked = d.book(other_day, "09:30")
        assert booked.status == 201, booked.text
        assert d.cancel(booked.json()["booking_id"]).status == 200
    assert d.book(later, "09:30").json()["code"] == "SUSPENDED"
    operator_books_and_cancels(api, operator, c, later, "09:00", "op1")
    assert c.book(later, "09:30").status == 201  # (R19: the place the operator freed returns later)
    codes = {c.book(day, "03:00").json()["code"] for _ in range(11)}  # the in-memory limit per account
    assert "RATE_LIMITED" in codes
    closed = api.invoke(
        "POST", f"/v1/offices/{OFFICE}/closures", headers=auth(admin), body={"date": str(later), "reason": "设备检修"}
    )
    assert closed.status == 201 and closed.json()["bookings_cancelled"] == 1

    assert api.invoke("POST", "/local/sms-provider", body={"failing": True}).status == 200
    registered(system, verify=False, login=False)  # its code fails to go out, and is retried
    system.pump.drain()
    assert api.invoke("POST", "/local/sms-provider", body={"failing": False}).status == 200
    system.move_clock(now() + timedelta(minutes=6))  # a healing run re-sends what failed

    # the noon release, sweeps, the reminders and SMS healing runs, up to the booking's morning
    system.move_clock(datetime.combine(day, datetime.min.time(), now().tzinfo) + timedelta(hours=8, minutes=45))
    staff_auth = auth(login(api, f"staff@{OFFICE}", "staff-pass-1"))  # a day on: the morning's token
    ticket = api.invoke(
        "POST", f"/v1/offices/{OFFICE}/check-ins", headers=staff_auth, body={"reference": first.json()["reference"]}
    )
    assert ticket.status == 201, ticket.text
    assert (
        api.invoke("POST", f"/v1/offices/{OFFICE}/tickets", headers=staff_auth, body={"service_code": WALK_IN}).status
        == 201
    )
    called = api.invoke("POST", f"/v1/offices/{OFFICE}/queue/next", headers=staff_auth, body={"counter": "1"})
    assert called.status == 200, called.text
    assert (
        api.invoke(
            "POST", f"/v1/offices/{OFFICE}/tickets/{called.json()['ticket_id']}/complete", headers=staff_auth
        ).status
        == 200
    )
    system.move_clock(now().replace(hour=10, minute=5))  # the sweep after b's slot
    system.pump.drain()
    return emitted_metrics(_emf_lines(capsys.readouterr().out))


# ---------------------------------------------------------------- the checks


@functools.lru_cache(maxsize=1)
def _routes() -> frozenset:
    return frozenset((r.method.upper(), r.path) for r in api_routes(_template()))


def _check_aws(namespace: str, metric: str, dims: frozenset, where: str) -> None:
    resources = _template()["Resources"]
    assert metric in AWS_METRICS.get(namespace, set()), f"{where}: {namespace} {metric} is not a metric it publishes"
    routes = _routes()
    values = dict(dims)
    for key, value in values.items():
        if key in ("TableName", "QueueName", "FunctionName"):
            assert value in resources, f"{where}: {key} {value} is no resource of the template"
        elif key == "ApiName":
            assert value == "<AWS::StackName>", f"{where}: the API is named by the stack (SAM's default)"
        elif key == "Stage":
            assert value == resources["Api"]["Properties"]["StageName"], where
    if "Resource" in values:
        assert (values["Method"], values["Resource"]) in routes, f"{where}: no route {values}"


def _check_ours(metric: str, dims: frozenset, emitted: set, where: str) -> None:
    if any(value == "*" for _, value in dims):  # a SEARCH: the same dimension names, any values
        keys = {k for k, _ in dims}
        assert any(name == metric and ns == NAMESPACE and {k for k, _ in d} == keys for ns, name, d in emitted), (
            f"{where}: {metric} {sorted(keys)} is never emitted"
        )
        return
    assert (NAMESPACE, metric, dims) in emitted, (
        f"{where}: {metric} {dict(dims)} is never emitted; emitted with that name: "
        f"{[dict(d) for ns, name, d in emitted if name == metric]}"
    )


def test_every_panel_and_alarm_names_a_metric_that_exists(day_of_metrics):
    named = panel_metrics() + alarm_metrics()
    boards = {where for where, *_ in panel_metrics()}
    assert {"NoonRushDashboard", "SmsDashboard", "JobsDashboard", "HallsDashboard"} <= boards
    ours = 0
    for where, namespace, metric, dims in named:
        if namespace == NAMESPACE:
            _check_ours(metric, dims, day_of_metrics, where)
            ours += 1
        else:
            _check_aws(namespace, metric, dims, where)
    assert ours >= 40  # the check above ran over the dashboards' own metrics, not only AWS's


def test_a_metric_that_is_never_emitted_is_caught():
    """The check itself can fail: a misspelt metric and a wrong dimension value are both reported."""
    day_of_metrics = emitted_metrics(
        _emf_lines(
            '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Hallbook","Dimensions":[["code","service"]],'
            '"Metrics":[{"Name":"Refusals","Unit":"Count"}]}]},"code":"SLOT_FULL","service":"hallbook","Refusals":[1.0]}'
        )
    )
    _check_ours("Refusals", frozenset({("service", "hallbook"), ("code", "SLOT_FULL")}), day_of_metrics, "test")
    with pytest.raises(AssertionError, match="never emitted"):
        _check_ours("BookingsMaed", frozenset({("service", "hallbook")}), day_of_metrics, "test")
    with pytest.raises(AssertionError, match="never emitted"):
        _check_ours("Refusals", frozenset({("service", "hallbook"), ("code", "SLOT_FUL")}), day_of_metrics, "test")
    with pytest.raises(AssertionError, match="no resource"):
        _check_aws("AWS/SQS", "ApproximateNumberOfMessagesVisible", frozenset({("QueueName", "NoSuchQueue")}), "test")


def test_the_dashboards_are_valid_json_with_a_region_on_every_panel():
    for name, body in dashboards().items():
        assert body["widgets"], name
        for widget in body["widgets"]:
            assert widget["properties"]["region"] == "<AWS::Region>", (name, widget["properties"]["title"])
            assert widget["properties"]["title"]


def test_the_alarms_reach_the_one_alarm_topic():
    resources = _template()["Resources"]
    alarms = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert {
        "Api5xxRateAlarm",
        "NoonBookingLatencyAlarm",
        "DynamoDbThrottlesAlarm",
        "ReleaseLateAlarm",
        "OldestPendingSmsAlarm",
        "SmsDLQAlarm",
        "ReleaseDLQAlarm",
        "ScheduleDLQAlarm",
        "CalendarMissingAlarm",
    } <= set(alarms)
    topics = [n for n, r in resources.items() if r["Type"] == "AWS::SNS::Topic"]
    assert topics == ["AlarmTopic"]
    for name, props in alarms.items():
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], name

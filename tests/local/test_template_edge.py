"""What the template puts in front of the functions and around them - AWS WAF's
rate-based rules on the API's stage, per-route throttling, access logs without personal data, a log
group with a retention for every function, the citizen API's reserved concurrency, the notifier's
SMS-only publish."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hallbook.web.routes import every_route
from local.template import api_routes, read_sam_template


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return read_sam_template()


def resources(template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {n: r.get("Properties", {}) for n, r in template["Resources"].items() if r["Type"] == resource_type}


def test_waf_rate_rules_guard_the_stage(template):
    (acl,) = resources(template, "AWS::WAFv2::WebACL").values()
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in acl["Rules"]}
    rated = {
        name: r["Statement"]["RateBasedStatement"]
        for name, r in rules.items()
        if "RateBasedStatement" in r["Statement"]
    }
    assert {
        "bookings-per-address",
        "bookings-per-token",
        "availability-per-address",
        "sms-codes-per-address",
        "everything-per-address",
    } <= set(rated)
    assert rated["bookings-per-token"]["AggregateKeyType"] == "CUSTOM_KEYS"
    assert rated["bookings-per-token"]["CustomKeys"] == [
        {"Header": {"Name": "authorization", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
    ]
    for name, statement in rated.items():
        assert rules[name]["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
        assert statement["Limit"] >= 10 and statement["EvaluationWindowSec"] in (60, 120, 300, 600)
    managed = [
        r["Statement"]["ManagedRuleGroupStatement"]
        for r in acl["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    ]
    assert [m["Name"] for m in managed] == ["AWSManagedRulesCommonRuleSet"]
    (association,) = resources(template, "AWS::WAFv2::WebACLAssociation").values()
    assert association["WebACLArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    assert association["ResourceArn"]["Fn::Sub"].endswith("/restapis/${Api}/stages/${Api.Stage}")


def test_per_route_throttling_names_real_routes(template):
    api = template["Resources"]["Api"]["Properties"]
    routes = {(r.method, r.path) for r in api_routes(template)}
    # "/~1v1~1bookings" is /v1/bookings: slashes of the path as ~1 after the leading one
    settings = {
        (
            s["HttpMethod"],
            s["ResourcePath"] if s["ResourcePath"] == "/*" else s["ResourcePath"][1:].replace("~1", "/"),
        ): s
        for s in api["MethodSettings"]
    }
    assert ("*", "/*") in settings
    for (method, path), setting in settings.items():
        assert (method, path) == ("*", "/*") or (method, path) in routes
        assert 0 < setting["ThrottlingRateLimit"] <= setting["ThrottlingBurstLimit"]
    assert {("POST", "/v1/bookings"), ("GET", "/v1/offices/{office_id}/availability")} <= set(settings)
    for route, rule in every_route().items():  # every route that sends an SMS code is throttled as one
        if any(limit.name == "sms_address" for limit in rule.limits):
            assert settings[route]["ThrottlingRateLimit"] <= 50


def test_access_logs_carry_context_fields_only(template):
    setting = template["Resources"]["Api"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    fields = re.findall(r"\$(\w+(?:\.\w+)*)", setting["Format"])
    assert fields and all(f.startswith("context.") for f in fields)
    # the template path, never the real one (booking, permit, account ids) nor a query string
    assert "context.resourcePath" in fields and "context.path" not in fields
    assert not [f for f in fields if "query" in f.lower() or "header" in f.lower()]
    logs = template["Resources"]["ApiAccessLogs"]
    assert logs["Properties"]["RetentionInDays"] == 30 and logs["DependsOn"] == "ApiGatewayAccount"


def test_every_function_logs_to_its_own_group_with_a_retention(template):
    groups = resources(template, "AWS::Logs::LogGroup")
    functions = resources(template, "AWS::Serverless::Function")
    named = [f["LoggingConfig"]["LogGroup"]["Ref"] for f in functions.values()]
    assert len(set(named)) == len(functions)
    for group in named:
        assert groups[group]["RetentionInDays"] > 0
        assert not groups[group]["LogGroupName"]["Fn::Sub"].startswith("/aws/lambda/")  # Lambda's own name


def test_the_citizen_api_reserves_more_than_the_noon_keeps_warm(template):
    parameters = template["Parameters"]
    citizen = template["Resources"]["CitizenApiFunction"]["Properties"]
    assert citizen["ReservedConcurrentExecutions"] == {"Ref": "CitizenApiReservedConcurrency"}
    assert parameters["NoonWarmConcurrency"]["Default"] < parameters["CitizenApiReservedConcurrency"]["Default"]
    warmth = template["Resources"]["CitizenApiNoonWarmth"]["Properties"]
    assert warmth["MaxCapacity"] == {"Ref": "NoonWarmConcurrency"}


def test_the_notifier_may_text_phones_and_publish_to_no_topic(template):
    statements = [
        s
        for p in template["Resources"]["NotifierFunction"]["Properties"]["Policies"]
        if isinstance(p, dict) and "Statement" in p
        for s in p["Statement"]
    ]
    publish = [s for s in statements if s["Action"] == "sns:Publish"]
    assert {(s["Effect"], str(s["Resource"])) for s in publish} == {
        ("Allow", "*"),
        ("Deny", str({"Fn::Sub": "arn:${AWS::Partition}:sns:*"})),
    }


def test_the_citizen_api_counts_rate_limits_with_one_action(template):
    citizen = template["Resources"]["CitizenApiFunction"]["Properties"]
    statements = [s for p in citizen["Policies"] if isinstance(p, dict) and "Statement" in p for s in p["Statement"]]
    assert {
        "Effect": "Allow",
        "Action": "dynamodb:UpdateItem",
        "Resource": {"Fn::GetAtt": ["RateLimitsTable", "Arn"]},
    } in statements
    # idempotency is the booking id derived from Idempotency-Key (README): no table for it
    assert "IdempotencyTable" not in template["Resources"]

"""CloudFormation's intrinsic functions (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If and the
conditions), evaluated against the template's parameter defaults and the resources local mode made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.environment import ACCOUNT_ID, PARTITION, REGION


class UnresolvedReference(LookupError):
    pass


@dataclass
class Resources:
    """What CloudFormation's Ref and Fn::GetAtt give for the resources local mode created."""

    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # secret logical id -> SecretString

    def ref(self, logical_id: str) -> str:
        try:
            return self.refs[logical_id]
        except KeyError:
            raise UnresolvedReference(f"local mode does not create {logical_id!r} (Ref)") from None

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[logical_id][attribute]
        except KeyError:
            raise UnresolvedReference(f"local mode has no {logical_id}.{attribute} (Fn::GetAtt)") from None


_PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": "hallbook-local",
}
NO_VALUE = object()  # AWS::NoValue: the property is dropped


class Resolver:
    """Evaluates Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If and the condition functions against
    the template's parameter defaults and the created `resources`."""

    def __init__(self, template: Mapping[str, Any], resources: Resources):
        self._template = template
        self._resources = resources
        self._parameters = {
            name: spec["Default"] for name, spec in template.get("Parameters", {}).items() if "Default" in spec
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref":
                return self._ref(argument)
            if name == "Fn::GetAtt":
                logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
                return self._resources.get_att(logical_id, attribute)
            if name == "Fn::Sub":
                return self._sub(argument)
            if name == "Fn::Join":
                delimiter, parts = argument
                return delimiter.join(str(p) for p in self.resolve(parts))
            if name == "Fn::If":
                condition, if_true, if_false = argument
                return self.resolve(if_true if self._condition(condition) else if_false)
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._parameters:
            return self._parameters[name]
        if name in _PSEUDO_PARAMETERS:
            return _PSEUDO_PARAMETERS[name]
        return self._resources.ref(name)

    def _sub(self, argument: str | list[Any]) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))
        out, i = [], 0
        while (start := text.find("${", i)) >= 0:
            end = text.index("}", start)
            out.append(text[i:start])
            name = text[start + 2 : end]
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and not name.startswith("AWS::"):
                out.append(str(self._resources.get_att(*name.split(".", 1))))
            else:
                out.append(str(self._ref(name)))
            i = end + 1
        return "".join(out) + text[i:]

    def _condition(self, condition: Any) -> bool:
        if isinstance(condition, str):  # a named condition
            return self._condition(self._template["Conditions"][condition])
        ((name, argument),) = condition.items()
        if name == "Fn::Equals":
            left, right = (self.resolve(a) for a in argument)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not self._condition(argument[0])
        if name == "Fn::And":
            return all(self._condition(c) for c in argument)
        if name == "Fn::Or":
            return any(self._condition(c) for c in argument)
        if name == "Condition":
            return self._condition(argument)
        raise ValueError(f"unsupported condition function {name}")


def as_env_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise UnresolvedReference(f"environment value {value!r} did not resolve to a string")
    return str(value)

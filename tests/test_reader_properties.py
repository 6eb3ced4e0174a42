"""Properties of the readers, over generated templates (hypothesis).

- YAML with short-form tags reads as the same dict as its long form (and as its JSON);
- the same function, whichever way and from whichever stack it is referenced (``Ref``,
  ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, a nested stack's parameter or output, an export),
  gets one policy with all its statements;
- distinct functions never share a policy, even when their names are built from the same
  parameter and their ARNs hold deploy-time values;
- a dynamic reference is never read as literal text;
- each way ``Fn::If`` conditions can go is read once, and one condition takes one branch
  throughout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lambdaperm._core import tokens
from constructs_lambdaperm._policy.policies import policies_of
from constructs_lambdaperm._readers.cfn_yaml import load_yaml
from constructs_lambdaperm._readers.references import Resolver
from constructs_lambdaperm._readers.stacks import StackTemplate
from constructs_lambdaperm._readers.template import permissions_in, value_text

# --- YAML short form -----------------------------------------------------------------------

_NAME = st.from_regex(r"[A-Z][A-Za-z0-9]{0,8}", fullmatch=True)
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
_LEAF = st.one_of(_TEXT, st.integers(min_value=0, max_value=10**12), st.booleans())


def _intrinsics(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    lists = st.lists(children, max_size=3)
    return st.one_of(
        st.builds(lambda n: {"Ref": n}, _NAME),
        st.builds(lambda n: {"Condition": n}, _NAME),
        st.builds(
            lambda a, b: {"Fn::GetAtt": [a, b]}, _NAME, st.sampled_from(["Arn", "Outputs.FnArn"])
        ),
        st.builds(lambda t: {"Fn::Sub": t}, _TEXT),
        st.builds(lambda t, n, v: {"Fn::Sub": [t, {n: v}]}, _TEXT, _NAME, children),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, _NAME, children, children),
        st.builds(lambda s, items: {"Fn::Join": [s, items]}, _TEXT, lists),
        st.builds(lambda i, items: {"Fn::Select": [i, items]}, st.integers(0, 3), lists),
        st.builds(lambda s, v: {"Fn::Split": [s, v]}, _TEXT, children),
        st.builds(lambda v: {"Fn::ImportValue": v}, children),
        st.builds(lambda a, b, c: {"Fn::FindInMap": [a, b, c]}, _NAME, children, children),
        st.builds(lambda v: {"Fn::Base64": v}, children),
        st.builds(lambda v: {"Fn::Cidr": [v, 6, 5]}, children),
        st.builds(lambda v: {"Fn::GetAZs": v}, children),
        st.builds(lambda a, b: {"Fn::Equals": [a, b]}, children, children),
        st.builds(lambda items: {"Fn::And": items}, lists),
        st.builds(lambda items: {"Fn::Or": items}, lists),
        st.builds(lambda v: {"Fn::Not": [v]}, children),
    )


_TREES = st.recursive(
    _LEAF,
    lambda children: st.one_of(
        _intrinsics(children),
        st.lists(children, max_size=3),
        st.dictionaries(_NAME, children, max_size=3),
    ),
    max_leaves=12,
)


def _short_form(value: Any, draw: Any) -> str:
    """``value`` written as flow-style YAML, its intrinsics in short form."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a double-quoted YAML scalar
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_short_form(item, draw) for item in value) + "]"
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key in ("Ref", "Condition"):
            return f"!{key} {json.dumps(argument)}"
        if key == "Fn::GetAtt" and draw(st.booleans()):
            return "!GetAtt " + ".".join(argument)  # the dotted scalar form
        tagged = isinstance(argument, dict) and len(argument) == 1
        if key.startswith("Fn::") and not tagged:
            # A node has one tag: `!Base64 !Sub x` is not YAML, so (as CloudFormation's guide
            # says) the outer function of two in a row keeps its long form.
            return f"!{key[4:]} {_short_form(argument, draw)}"
    return "{" + ", ".join(f"{k}: {_short_form(v, draw)}" for k, v in value.items()) + "}"


def _tagged_scalars_as_text(value: Any) -> Any:
    """``value`` as the short form reads: a tagged scalar (``!Base64 12``) is its text."""
    if isinstance(value, list):
        return [_tagged_scalars_as_text(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key.startswith("Fn::") and isinstance(argument, bool):
            return {key: "true" if argument else "false"}
        if key.startswith("Fn::") and isinstance(argument, int):
            return {key: str(argument)}
    return {k: _tagged_scalars_as_text(v) for k, v in value.items()}


@settings(max_examples=120, deadline=None)
@given(tree=_TREES, data=st.data())
def test_short_form_yaml_reads_as_its_long_form(tree: Any, data: st.DataObject) -> None:
    text = "Value: " + _short_form(tree, data.draw) + "\n"
    read = {"Value": _tagged_scalars_as_text(tree)}
    assert load_yaml(text) == read
    # Either parser (libyaml, or the pure one that counts aliases when '&' may be an anchor).
    assert load_yaml(text + "# & \n") == read
    # JSON is YAML too (written without \\u escapes: YAML has no surrogate pairs).
    assert load_yaml(json.dumps({"Value": tree}, ensure_ascii=False)) == {"Value": tree}


# --- one function, one policy ----------------------------------------------------------------

ACCOUNT, REGION = "111111111111", "us-east-1"
API = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abcde12345"
ROOT, NESTED, OTHER = "Root", "Root/Nested", "Other"
NESTED_RESOURCE = "NestedStackResource"


@dataclass
class _Stack:
    resources: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)


class _App:
    """Three stacks: ``Root``, its nested stack ``Root/Nested``, and ``Other``."""

    def __init__(self, agnostic: bool) -> None:
        self.agnostic = agnostic
        self.stacks = {key: _Stack() for key in (ROOT, NESTED, OTHER)}
        self.stacks[ROOT].resources[NESTED_RESOURCE] = {
            "Type": "AWS::CloudFormation::Stack",
            "Properties": {"Parameters": {}},
        }
        self.expected: dict[str, set[tuple[str, str]]] = {}
        self._count = 0

    def function(self, stack: str, logical_id: str, name: Any) -> None:
        properties = {} if name is None else {"FunctionName": name}
        self.stacks[stack].resources[logical_id] = {
            "Type": "AWS::Lambda::Function",
            "Properties": properties,
        }
        self.expected[logical_id] = set()

    def reference(self, function: tuple[str, str], where: str, way: int) -> Any:
        """A FunctionName in stack ``where`` designating ``function``, the ``way``-th way."""
        home, fn = function
        self._count += 1
        n = self._count
        arn = {"Fn::GetAtt": [fn, "Arn"]}
        if where == home:
            same = [
                {"Ref": fn},
                arn,
                {"Fn::Sub": "${" + fn + ".Arn}"},
                {"Fn::Join": ["", [arn]]},
                {
                    "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}"
                    ":function:${" + fn + "}"
                },
            ]
            return same[way % len(same)]
        if (home, where) == (ROOT, NESTED):  # carried in as a parameter, the CDK's way
            parameter = f"referenceto{fn}Arn{n}"
            self.stacks[NESTED].parameters[parameter] = {"Type": "String"}
            passed = self.stacks[ROOT].resources[NESTED_RESOURCE]["Properties"]["Parameters"]
            passed[parameter] = arn if way % 2 else {"Fn::Sub": "${" + fn + ".Arn}"}
            return {"Ref": parameter}
        if (home, where) == (NESTED, ROOT):  # carried out as an output of the nested stack
            output = f"{fn}Arn{n}"
            self.stacks[NESTED].outputs[output] = arn
            return {"Fn::GetAtt": [NESTED_RESOURCE, f"Outputs.{output}"]}
        export = f"{home.replace('/', '-')}:{fn}Arn{n}"
        self.stacks[home].exports[export] = arn
        return {"Fn::ImportValue": export}

    def grant(self, function: tuple[str, str], where: str, way: int) -> None:
        self._count += 1
        logical_id = f"Grant{self._count}"
        self.stacks[where].resources[logical_id] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": self.reference(function, where, way),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": f"{API}/prod/GET/r{self._count}",
            },
        }
        self.expected[function[1]].add((where, logical_id))

    def templates(self) -> list[StackTemplate]:
        account, region = (None, None) if self.agnostic else (ACCOUNT, REGION)
        return [
            StackTemplate(
                key=key,
                name=None if key == NESTED else key,
                resources=stack.resources,
                parameters={**stack.parameters, "Prefix": {"Type": "String"}},
                exports=stack.exports,
                outputs=stack.outputs,
                account=account,
                region=region,
                parent=(ROOT, NESTED_RESOURCE) if key == NESTED else None,
                environment=ROOT if key == NESTED else None,
            )
            for key, stack in self.stacks.items()
        ]

    def policies(self) -> dict[str | None, set[tuple[str, str]]]:
        """Each policy's statements (stack, logical ID), by the function it is defined as."""
        templates = self.templates()
        found: dict[str | None, set[tuple[str, str]]] = {}
        for policy in policies_of(templates, Resolver(templates)):
            assert policy.function_logical_id not in found, "two policies for one function"
            found[policy.function_logical_id] = {(s.stack, s.logical_id) for s in policy.statements}
        return found


_STACKS = st.sampled_from([ROOT, NESTED, OTHER])
_GRANTS = st.lists(st.tuples(_STACKS, st.integers(0, 9)), min_size=1, max_size=8)


def _name(kind: int, n: int) -> Any:
    """The n-th function's FunctionName: absent, literal, or built from the parameter Prefix."""
    return [
        None,
        f"orders-fn-{n}",
        {"Fn::Sub": f"${{Prefix}}-fn-{n}"},
        {"Fn::Join": ["-", [{"Ref": "Prefix"}, "fn", str(n)]]},
        {"Fn::Sub": f"${{AWS::StackName}}-${{Prefix}}-fn-{n}"},
    ][kind]


@settings(max_examples=100, deadline=None)
@given(
    home=st.sampled_from([ROOT, NESTED, OTHER]),
    kind=st.integers(0, 4),
    grants=_GRANTS,
    agnostic=st.booleans(),
)
def test_the_same_function_referenced_in_any_way_has_one_policy(
    home: str, kind: int, grants: list[tuple[str, int]], agnostic: bool
) -> None:
    app = _App(agnostic)
    app.function(home, "Fn", _name(kind, 0))
    for where, way in grants:
        app.grant((home, "Fn"), where, way)
    assert app.policies() == app.expected


@settings(max_examples=80, deadline=None)
@given(
    functions=st.lists(
        st.tuples(st.sampled_from([ROOT, NESTED, OTHER]), st.integers(0, 4), _GRANTS),
        min_size=2,
        max_size=4,
    ),
    agnostic=st.booleans(),
)
def test_distinct_functions_never_share_a_policy(
    functions: list[tuple[str, int, list[tuple[str, int]]]], agnostic: bool
) -> None:
    app = _App(agnostic)
    # Every name ends in its own "-fn-<n>": no two can be equal once deployed.
    for n, (home, kind, _) in enumerate(functions):
        app.function(home, f"Fn{n}", _name(kind, n) if kind else f"fn-{n}")
    for n, (home, _, grants) in enumerate(functions):
        for where, way in grants:
            app.grant((home, f"Fn{n}"), where, way)
    assert app.policies() == app.expected


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(
        st.lists(st.sampled_from(["${Prefix}", "${AWS::Region}", "-", "fn", "${Env}"]), max_size=4),
        min_size=2,
        max_size=4,
        unique_by=tuple,
    )
)
def test_function_names_with_deploy_time_parts_merge_only_when_written_alike(
    names: list[list[str]],
) -> None:
    # FunctionName written directly (no function in the template): one policy per distinct
    # text, the unknown parts never merging two.
    resources = {}
    for n, parts in enumerate(names):
        for copy in range(2):
            resources[f"P{n}x{copy}"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Fn::Sub": "".join(parts) + f"-{n}"},
                    "Principal": ACCOUNT,
                },
            }
    template = StackTemplate(key="T", name="T", resources=resources)
    policies = policies_of([template], Resolver([template]))
    assert sorted(sorted(s.logical_id for s in p.statements) for p in policies) == [
        [f"P{n}x0", f"P{n}x1"] for n in range(len(names))
    ]


# --- dynamic references and conditions -------------------------------------------------------

_REFERENCE = st.builds(
    lambda service, name: "{{resolve:" + service + ":" + name + "}}",
    st.sampled_from(["ssm", "ssm-secure", "secretsmanager"]),
    st.from_regex(r"[A-Za-z0-9/_.:-]{1,20}", fullmatch=True),
)


@settings(max_examples=50, deadline=None)
@given(before=st.from_regex(r"[a-z:]{0,8}", fullmatch=True), reference=_REFERENCE)
def test_a_dynamic_reference_is_never_literal_text(before: str, reference: str) -> None:
    for value in (before + reference, {"Fn::Sub": before + reference}):
        text = value_text(value)
        assert text is not None
        assert tokens.split(text) == ((before, None) if before else (None,))
    template = StackTemplate(key="T", name="T", resources={})
    resolver = Resolver([template])
    resolved = resolver.text(before + reference, template, "SourceArn")
    assert resolved is not None
    assert tokens.split(resolved) == ((before, None) if before else (None,))


@settings(max_examples=100, deadline=None)
@given(
    tests=st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=5),
)
def test_each_way_the_conditions_go_is_read_once(tests: list[str]) -> None:
    # The n-th test of a condition picks "<condition>1" or "<condition>0" into SourceArn.
    parts = [{"Fn::If": [c, f"{c}1", f"{c}0"]} for c in tests]
    template = {
        "Resources": {
            "P": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": "fn",
                    "Principal": "s3.amazonaws.com",
                    "SourceArn": {"Fn::Join": ["", ["arn:aws:s3:::b", *parts]]},
                },
            }
        }
    }
    conditions = sorted(set(tests), key=tests.index)
    grants = list(permissions_in(template))
    assert len(grants) == 2 ** len(conditions)
    for grant in grants:
        assumed = dict(grant.conditions)
        assert list(assumed) == conditions
        expected = "".join(f"{c}{int(assumed[c])}" for c in tests)
        assert grant.permission.source_arn == "arn:aws:s3:::b" + expected


_UNEVALUATED: list[Callable[[int], Any]] = [
    lambda n: {"Fn::FindInMap": ["Functions", {"Ref": "AWS::Region"}, f"fn{n}"]},
    lambda n: {"Fn::If": ["IsProd", f"prod-fn-{n}", f"dev-fn-{n}"]},
    lambda n: {"Fn::ImportValue": {"Fn::Sub": f"${{Env}}-fn-{n}-arn"}},
    lambda n: {"Fn::Select": [n, {"Fn::Split": [",", {"Ref": "Names"}]}]},
    lambda n: {"Fn::Join": [":", [{"Fn::FindInMap": ["Functions", "Arn", f"fn{n}"]}, "live"]]},
]


@settings(max_examples=60, deadline=None)
@given(shapes=st.lists(st.integers(0, len(_UNEVALUATED) - 1), min_size=2, max_size=5))
def test_functions_named_by_expressions_not_evaluated_merge_only_when_written_alike(
    shapes: list[int],
) -> None:
    # Fn::FindInMap, Fn::If with branches that differ, an import of an export whose name is
    # deploy-time...: the same expression twice is one function, two expressions two.
    resources = {}
    expressions = {
        json.dumps(_UNEVALUATED[shape](n), sort_keys=True) for n, shape in enumerate(shapes)
    }
    for n, shape in enumerate(shapes):
        for copy in range(2):
            resources[f"P{n}x{copy}"] = {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": _UNEVALUATED[shape](n),
                    "Principal": ACCOUNT,
                },
            }
    template = StackTemplate(key="T", name="T", resources=resources)
    policies = policies_of([template], Resolver([template]))
    assert len(expressions) == len(shapes)
    assert sorted(sorted(s.logical_id for s in p.statements) for p in policies) == sorted(
        [f"P{n}x0", f"P{n}x1"] for n in range(len(shapes))
    )


def test_aliases_named_alike_of_functions_whose_names_are_unknown_are_two_policies() -> None:
    resources: dict[str, Any] = {}
    for n in range(2):
        resources[f"Live{n}"] = {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "Name": "live",
                "FunctionName": {"Fn::ImportValue": {"Fn::Sub": f"${{Env}}-fn-{n}"}},
            },
        }
        resources[f"Grant{n}"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": f"Live{n}"},
                "Principal": ACCOUNT,
            },
        }
    template = StackTemplate(key="T", name="T", resources=resources)
    assert len(policies_of([template], Resolver([template]))) == 2

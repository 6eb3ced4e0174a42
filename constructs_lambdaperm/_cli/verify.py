"""``lambdaperm verify``: the live policies against what the templates intend, read-only.

For each function, version and alias the templates grant on (the guard's policies,
``_audit.engine.audit``), and each one they define: its deployed name is read from the
templates when it is literal, else from CloudFormation (``DescribeStackResource`` of the
function's logical ID in the stack the assembly names); its live policy with ``GetPolicy``
(``GetResourcePolicy`` where the templates hold an ``AWS::Lambda::ResourcePolicy`` for it);
every deploy-time value of the intended statements (a bucket's generated name, the account)
read the same way. Both sides are compared by meaning (``_policy.drift``), and the catalogue's
rules run on every live statement, as on a template's.

Every AWS call is a read (``_readers.live``). Requests run concurrently, as many at once as
the clients' connection pool holds, with a progress bar on a terminal.

Exit status: 0 when every policy is as intended and no finding at or above ``--fail-on``
remains, 1 when something drifted or such a finding remains, 2 when an argument cannot be
used, a file cannot be read, or a policy could not be read (no credentials, access denied,
throttled past the retries, a stack not deployed): every policy that could be read is still
compared and shown.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .. import _rules
from .._audit.acknowledgements import Acknowledgement
from .._audit.engine import AuditReport, Place, Reported
from .._core import bounds, tokens
from .._core.findings import Finding, Severity
from .._core.model import partition_of
from .._policy import drift
from .._readers import live, physical
from .._readers.references import Resolver
from .._readers.resources import ALIAS_TYPE, FUNCTION_TYPE
from .._readers.stacks import StackTemplate
from .._rules import drift as drift_rules
from . import inputs as _inputs
from .lint import FORMATS, add_input_options
from .results import (
    FailOn,
    LintRun,
    Result,
    VerifiedPolicy,
    VerifiedRow,
    VerifyRun,
    fails,
    located,
    location_of,
    order_results,
)

GET_POLICY = "GetPolicy"
GET_RESOURCE_POLICY = "GetResourcePolicy"

_T = TypeVar("_T")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``verify`` to the command's subcommands."""
    parser = commands.add_parser(
        "verify",
        help="compare the live resource policies in an AWS account with the templates (reads only)",
        description=(
            "Read the live resource-based policy of every function, version and alias the "
            "templates grant on or define (GetPolicy, or GetResourcePolicy where the templates "
            "hold an AWS::Lambda::ResourcePolicy), and compare it, by meaning and never by Sid, "
            "with what the templates intend: missing, extra and changed statements, and every "
            "rule of the catalogue on the live statements. Only read operations are ever sent. "
            "Exit status: 0 no drift and nothing at or above --fail-on, 1 drift or such a "
            "finding, 2 when an argument cannot be used or something could not be read (the "
            "rest is still compared and shown)."
        ),
    )
    parser.add_argument("--profile", help="the AWS profile (default: boto3's credential chain)")
    parser.add_argument(
        "--region",
        help="the region of the stacks whose region the templates do not fix (default: the "
        "profile's or AWS_DEFAULT_REGION)",
    )
    parser.add_argument(
        "--stack-name",
        action="append",
        metavar="[TEMPLATE=]NAME",
        help="the CloudFormation stack a template file was deployed as, to read generated "
        "names from it (cloud assemblies name their stacks); repeatable",
    )
    add_input_options(parser)
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        choices=[f.value for f in FailOn],
        default=FailOn.UNSAFE.value,
        help="which findings on the live statements exit 1, as for lint (drift always does)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also show the statements of the policies in sync (text output)",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=live.DEFAULT_MAX_ATTEMPTS,
        metavar="N",
        help="attempts per request, the first included, with boto3's standard retry mode "
        f"(exponential backoff on throttling; 1 to 10, default {live.DEFAULT_MAX_ATTEMPTS})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=live.MAX_CONCURRENCY,
        metavar="N",
        help=f"requests in flight at once (1 to {live.MAX_CONCURRENCY}, default "
        f"{live.MAX_CONCURRENCY})",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    """Run ``verify`` with the parsed ``arguments``; the exit status."""
    problem = _check_arguments(arguments)
    if problem is not None:
        print(f"lambdaperm verify: error: {problem}", file=sys.stderr)
        return 2
    found = _inputs.read(arguments.paths, sam_region=arguments.sam_region)
    report, unchecked = _inputs.check(found)
    try:
        account = live.Account(
            arguments.profile,
            arguments.region,
            max_attempts=arguments.max_attempts,
            concurrency=arguments.concurrency,
        )
        account.check_credentials()
    except live.LiveError as error:
        print(f"lambdaperm verify: error: {error.reason}", file=sys.stderr)
        return 2
    verified = verify(
        report,
        found,
        account,
        fail_on=FailOn(arguments.fail_on),
        stack_names=_stack_names(arguments.stack_name, found),
        errors=unchecked,
        concurrency=arguments.concurrency,
        progress=_progress_wanted(),
    )
    verified = replace(verified, verbose=arguments.verbose)
    for line in verified.run.errors:
        print(f"lambdaperm: error: {line}", file=sys.stderr)
    _write(verified, arguments.format)
    return verified.exit_status


def _check_arguments(arguments: argparse.Namespace) -> str | None:
    if not 1 <= arguments.max_attempts <= 10:
        return f"--max-attempts takes 1 to 10, not {arguments.max_attempts}"
    if not 1 <= arguments.concurrency <= live.MAX_CONCURRENCY:
        return f"--concurrency takes 1 to {live.MAX_CONCURRENCY}, not {arguments.concurrency}"
    for given in arguments.stack_name or ():
        name = given.rpartition("=")[2]
        if not name.strip():
            return f"--stack-name takes [TEMPLATE=]NAME, not {given!r}"
    return None


def _stack_names(given: Sequence[str] | None, found: _inputs.Inputs) -> dict[str, str]:
    """The stack name of each template file, by its key, from ``--stack-name``."""
    names: dict[str, str] = {}
    templates = [s for s in found.sources.values() if s.kind != _inputs.ASSEMBLY]
    for item in given or ():
        file, equals, name = item.rpartition("=")
        if not equals:
            for source in templates:
                names.setdefault(source.key, name.strip())
            continue
        key = _inputs.shown(file)
        names[key] = name.strip()
    return names


def _progress_wanted() -> bool:
    return sys.stderr.isatty() and sys.stdout.isatty()


def _write(verified: VerifyRun, format: str) -> None:
    if format == "json":
        from .formats import json

        sys.stdout.write(json.verify(verified))
    elif format == "sarif":
        from .formats import sarif

        sys.stdout.write(sarif.lint(verified.run))
    else:
        from .formats import text

        text.verify(verified, text.console(sys.stdout))


# --- what to read ---------------------------------------------------------------------------


@dataclass
class _Planned:
    """One function's or qualifier's policy to read, and what the templates intend for it."""

    function: str
    qualifier: str | None
    intended: list[tuple[Any, Place]] = field(default_factory=list)
    """Each intended statement (as Lambda writes it, deploy-time parts as markers) and where
    it is defined."""
    api: str = GET_POLICY
    function_place: Place | None = None
    defined_by: Place | None = None
    """The resource defining the function, version or alias, when the templates define it."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.function, self.qualifier or "")


def _plan(report: AuditReport, found: _inputs.Inputs) -> list[_Planned]:
    templates = [stack.template for stack in found.stacks]
    resolver = Resolver(templates)
    paths = {template.key: template.paths for template in templates}
    planned: dict[tuple[str, str | None], _Planned] = {}

    def entry(function: str, qualifier: str | None) -> _Planned:
        key = (function, qualifier)
        if key not in planned:
            planned[key] = _Planned(function, qualifier)
        return planned[key]

    for policy in report.policies:
        item = entry(policy.function, policy.qualifier)
        if policy.from_document:
            item.api = GET_RESOURCE_POLICY  # an AWS::Lambda::ResourcePolicy sets it whole
        item.intended.extend(
            (s.statement, _place(paths, s.stack, s.logical_id)) for s in policy.statements
        )
        if policy.function_stack is not None and policy.function_logical_id is not None:
            item.function_place = _place(paths, policy.function_stack, policy.function_logical_id)
    for stack in templates:
        for logical_id in sorted(stack.resources):
            resource = stack.resources[logical_id]
            kind = resource.get("Type") if isinstance(resource, Mapping) else None
            if kind == FUNCTION_TYPE:
                target = resolver.function_target({"Fn::GetAtt": [logical_id, "Arn"]}, stack)
            elif kind == ALIAS_TYPE:
                # Versions are read when the templates grant on them: a CDK app publishes one
                # per function and code change, and a hand-made grant goes on an alias.
                target = resolver.function_target({"Ref": logical_id}, stack)
            else:
                continue
            item = entry(target.arn, target.qualifier)
            place = _place(paths, stack.key, logical_id)
            item.defined_by = item.defined_by or place
            if kind == FUNCTION_TYPE:
                item.function_place = item.function_place or place
    # A version or alias's function is where the function is defined.
    functions = {p.function: p.function_place for p in planned.values() if p.qualifier is None}
    for item in planned.values():
        item.function_place = item.function_place or functions.get(item.function)
    return [planned[key] for key in sorted(planned, key=lambda k: (k[0], k[1] or ""))]


def _place(paths: Mapping[str, Mapping[str, str]], stack: str, logical_id: str) -> Place:
    return Place(stack, logical_id, paths.get(stack, {}).get(logical_id))


# --- deploy-time values, read from CloudFormation --------------------------------------------


class _Memo:
    """Each value computed once, whichever thread asks first; the others wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Any, Future[Any]] = {}

    def get(self, key: Any, compute: Callable[[], _T]) -> _T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._futures[key] = future
        if owner:
            try:
                future.set_result(compute())
            except BaseException as error:
                future.set_exception(error)
        result: _T = future.result()
        return result


class UnresolvedError(Exception):
    """A deploy-time value that could not be read: why, in one line."""


class _Values:
    """The value each marker of the templates has once deployed, read on first use."""

    def __init__(
        self,
        stacks: Sequence[StackTemplate],
        account: live.Account,
        stack_names: Mapping[str, str],
    ) -> None:
        self._account = account
        self._markers = physical.Markers(stacks)
        self._by_key = {stack.key: stack for stack in stacks}
        self._names = stack_names
        self._memo = _Memo()

    def region(self, stack: StackTemplate) -> str | None:
        top = self._top(stack)
        if top.region is not None and not tokens.is_unresolved(top.region):
            return top.region
        return self._account.region

    def _top(self, stack: StackTemplate) -> StackTemplate:
        if stack.environment is not None and stack.environment in self._by_key:
            return self._by_key[stack.environment]
        return stack

    def stack_name(self, stack: StackTemplate) -> str:
        """The name (or, for a nested stack, the ARN) CloudFormation knows the stack by."""
        return self._memo.get(("stack", stack.key), lambda: self._stack_name(stack))

    def _stack_name(self, stack: StackTemplate) -> str:
        if stack.parent is not None:
            parent_key, logical_id = stack.parent
            parent = self._by_key.get(parent_key)
            if parent is None:
                raise UnresolvedError(
                    f"the parent of nested stack {stack.key} is not in the inputs"
                )
            return self.physical_id(parent, logical_id)
        if stack.name is not None and not tokens.is_unresolved(stack.name):
            return stack.name
        if stack.key in self._names:
            return self._names[stack.key]
        raise UnresolvedError(
            f"the stack name of {stack.key} is not known: give --stack-name "
            f"{stack.key}=NAME, or verify the cloud assembly (cdk.out), whose manifest names it"
        )

    def physical_id(self, stack: StackTemplate, logical_id: str) -> str:
        def read() -> str:
            name = self.stack_name(stack)
            try:
                return self._account.physical_id(name, logical_id, self.region(stack))
            except live.LiveError as error:
                if error.kind == "not-found" and "does not exist for stack" not in error.reason:
                    raise UnresolvedError(
                        f"stack {_show_stack(name)} is not deployed in "
                        f"{self.region(stack) or 'the region'} ({error})"
                    ) from None
                if error.kind == "not-found":
                    raise _NotDeployedError(
                        f"{logical_id} is not in the deployed stack {_show_stack(name)}: "
                        "the templates are newer than the deployment, or the resource was "
                        "deleted"
                    ) from None
                raise

        return self._memo.get(("physical", stack.key, logical_id), read)

    def value(self, label: str) -> str:
        """The deployed value of the marker ``label``.

        :raises UnresolvedError: when it cannot be read (the reason in one line).
        :raises live.LiveError: when a read failed.
        """
        return self._memo.get(("label", label), lambda: self._value(label))

    def _value(self, label: str) -> str:
        reference = self._markers.reference(label)
        if reference is None:
            raise UnresolvedError(f"{{{label}}} is not a value the stacks' resources define")
        stack = reference.stack
        if reference.kind == physical.ACCOUNT:
            top = self._top(stack)
            if top.account is not None and not tokens.is_unresolved(top.account):
                return top.account
            return self._account.account()
        if reference.kind in (physical.REGION, physical.PARTITION, physical.URL_SUFFIX):
            region = self.region(stack)
            if region is None:
                raise UnresolvedError("no region: give --region")
            if reference.kind == physical.REGION:
                return region
            partition = partition_of(region) or "aws"
            if reference.kind == physical.PARTITION:
                return partition
            return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        if reference.kind == physical.STACK_NAME:
            return _show_stack(self.stack_name(stack))
        assert reference.logical_id is not None
        if reference.kind == physical.PARAMETER:
            values = self._memo.get(
                ("parameters", stack.key),
                lambda: self._account.parameters(self.stack_name(stack), self.region(stack)),
            )
            if reference.logical_id not in values:
                raise UnresolvedError(f"the deployed stack has no parameter {reference.logical_id}")
            return values[reference.logical_id]
        physical_id = self.physical_id(stack, reference.logical_id)
        value = physical.from_physical_id(
            reference.resource_type, reference.attribute or "Ref", physical_id
        )
        if value is None:
            raise UnresolvedError(
                f"{reference.attribute} of {reference.logical_id} is not in its physical ID"
            )
        return value


class _NotDeployedError(UnresolvedError):
    """A resource of the templates that the deployed stack does not hold."""


def _show_stack(name: str) -> str:
    """A stack's name from its name or ARN (``arn:...:stack/NAME/ID``)."""
    if name.startswith("arn:") and ":stack/" in name:
        return name.split(":stack/", 1)[1].split("/", 1)[0]
    return name


# --- reading and comparing one policy ---------------------------------------------------------


@dataclass
class _Outcome:
    planned: _Planned
    function: str | None = None
    """What Lambda was asked: the function's name or ARN."""
    qualifier: str | None = None
    region: str | None = None
    resource: str = ""
    status: str = "not verified"
    comparison: drift.Comparison | None = None
    live: list[drift.Statement] = field(default_factory=list)
    error: str | None = None
    not_found: str | None = None
    message: str | None = None
    unresolved: dict[str, str] = field(default_factory=dict)


def _verify_one(planned: _Planned, values: _Values, account: live.Account) -> _Outcome:
    outcome = _Outcome(planned)
    known: dict[str, str] = {}
    stack = _stack_of(planned, values)
    try:
        for label in sorted(drift.labels_in([planned.function, planned.qualifier or ""])):
            known[label] = values.value(label)
    except _NotDeployedError as error:
        outcome.status = "not found"
        outcome.not_found = str(error)
        outcome.resource = bounds.readable(_qualified(planned.function, planned.qualifier))
        outcome.comparison = drift.compare(_intended_all(planned, known), [])
        return outcome
    except (UnresolvedError, live.LiveError) as error:
        # One line per cause: the policies of a stack that is not deployed share it.
        outcome.error = str(error)
        outcome.message = f"its deployed name cannot be read: {error}"
        outcome.resource = bounds.readable(_qualified(planned.function, planned.qualifier))
        return outcome
    function = drift.substitute(planned.function, known)
    qualifier = drift.substitute(planned.qualifier, known) if planned.qualifier else None
    outcome.qualifier = qualifier
    outcome.resource = _qualified(function, qualifier)
    fields = function.split(":")
    region = fields[3] if function.startswith("arn:") and len(fields) >= 7 else None
    outcome.region = region or (values.region(stack) if stack is not None else account.region)
    # Lambda takes the function's ARN, so a function in another account or region is read
    # where it is.
    outcome.function = function
    for statement, _ in planned.intended:
        for label in sorted(drift.labels_in(statement)):
            if label in known or label in outcome.unresolved:
                continue
            try:
                known[label] = values.value(label)
            except UnresolvedError as error:
                outcome.unresolved[label] = str(error)
            except live.LiveError as error:
                # The statement cannot be verified, and the run did not read everything.
                outcome.unresolved[label] = str(error)
                outcome.error = outcome.error or str(error)
    try:
        if planned.api == GET_RESOURCE_POLICY:
            read = account.resource_policy(outcome.resource, outcome.region)
        else:
            read = account.policy(function, qualifier, outcome.region)
    except live.FunctionNotFoundError:
        outcome.status = "not found"
        outcome.not_found = f"{outcome.resource} does not exist"
        outcome.comparison = drift.compare(_intended_all(planned, known), [])
        return outcome
    except live.LiveError as error:
        outcome.error = str(error)
        return outcome
    if outcome.error is not None:
        outcome.message = f"a value of its intended statements cannot be read: {outcome.error}"
    try:
        statements = drift.parse_policy(read.text) if read.text is not None else []
    except drift.PolicyFormatError as error:
        outcome.error = f"{outcome.resource}: {error}"
        return outcome
    outcome.live = drift.on_resource(statements, function, qualifier)
    outcome.comparison = drift.compare(_intended_all(planned, known), outcome.live)
    outcome.status = "drift" if outcome.comparison.drift else "in sync"
    if outcome.status == "in sync" and outcome.comparison.count(drift.UNVERIFIED):
        outcome.status = "unverified"
    return outcome


def _intended_all(planned: _Planned, known: Mapping[str, str]) -> list[tuple[drift.Statement, Any]]:
    return [
        (drift.normalise(drift.substitute(statement, known)), place)
        for statement, place in planned.intended
    ]


def _qualified(function: str, qualifier: str | None) -> str:
    return function if qualifier is None else f"{function}:{qualifier}"


def _stack_of(planned: _Planned, values: _Values) -> StackTemplate | None:
    place = planned.function_place or planned.defined_by
    if place is None and planned.intended:
        place = planned.intended[0][1]
    return None if place is None else values._by_key.get(place.stack)


# --- the run ----------------------------------------------------------------------------------


def verify(
    report: AuditReport,
    found: _inputs.Inputs,
    account: live.Account,
    *,
    fail_on: FailOn = FailOn.UNSAFE,
    stack_names: Mapping[str, str] | None = None,
    errors: Sequence[str] = (),
    concurrency: int = live.MAX_CONCURRENCY,
    progress: bool = False,
) -> VerifyRun:
    """Every planned policy read from ``account`` and compared, as the formats show it."""
    planned = _plan(report, found)
    values = _Values([s.template for s in found.stacks], account, stack_names or {})
    outcomes = _run_all(planned, values, account, concurrency, progress)
    return _verify_run(report, found, outcomes, fail_on, errors)


def _run_all(
    planned: Sequence[_Planned],
    values: _Values,
    account: live.Account,
    concurrency: int,
    progress: bool,
) -> list[_Outcome]:
    workers = max(1, min(concurrency, live.MAX_CONCURRENCY, len(planned) or 1))

    def one(item: _Planned) -> _Outcome:
        try:
            return _verify_one(item, values, account)
        except Exception as error:  # one policy never stops the others
            outcome = _Outcome(item)
            outcome.resource = bounds.readable(_qualified(item.function, item.qualifier))
            outcome.error = (
                f"{outcome.resource}: could not be verified ({type(error).__name__}: {error}): "
                "a bug in constructs-lambdaperm, please report it"
            )
            return outcome

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, item) for item in planned]
        if progress and len(planned) > 1:
            _show_progress(futures)
        return [future.result() for future in futures]


def _show_progress(futures: Sequence[Future[_Outcome]]) -> None:
    from concurrent.futures import as_completed

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("Reading live policies"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("verify", total=len(futures))
        for _ in as_completed(futures):
            bar.advance(task)


def _verify_run(
    report: AuditReport,
    found: _inputs.Inputs,
    outcomes: Sequence[_Outcome],
    fail_on: FailOn,
    errors: Sequence[str],
) -> VerifyRun:
    acknowledged = _acknowledged(report.findings)
    results: list[Result] = []
    policies: list[VerifiedPolicy] = []
    lines = [*errors]
    for outcome in outcomes:
        if outcome.error is not None and outcome.error not in lines:
            lines.append(outcome.error)
        found_results, rows = _results(outcome, acknowledged, found, fail_on)
        results.extend(found_results)
        policies.append(
            VerifiedPolicy(
                function=bounds.readable(outcome.planned.function),
                qualifier=_shown_qualifier(outcome),
                resource=outcome.resource,
                asked=outcome.function,
                region=outcome.region,
                api=outcome.planned.api,
                status="error" if outcome.error is not None else outcome.status,
                rows=tuple(rows),
                location=location_of(_defined_by(outcome.planned), found),
                message=outcome.message or outcome.error or outcome.not_found,
                unresolved=tuple(
                    f"{{{label}}}: {why}" for label, why in sorted(outcome.unresolved.items())
                ),
            )
        )
    lint = LintRun(
        results=tuple(order_results(results)),
        errors=tuple([*found.errors, *lines]),
        files=found.files,
        permissions=sum(len(p.intended) for p in (o.planned for o in outcomes)),
        policies=len(outcomes),
        fail_on=fail_on,
        verbose=True,
        not_evaluated=sum(1 for r in results if not r.evaluated),
    )
    return VerifyRun(run=lint, policies=tuple(policies))


def _shown_qualifier(outcome: _Outcome) -> str | None:
    if outcome.qualifier is not None:
        return outcome.qualifier
    given = outcome.planned.qualifier
    return bounds.readable(given) if given is not None else None


def _defined_by(planned: _Planned) -> Place | None:
    """The resource that defines the function, version or alias whose policy it is."""
    if planned.qualifier is not None:
        return planned.defined_by
    return planned.function_place or planned.defined_by


def _acknowledged(findings: Iterable[Reported]) -> dict[tuple[str, str, str], Acknowledgement]:
    """The acknowledgements that accepted a finding on a template resource, by rule."""
    accepted: dict[tuple[str, str, str], Acknowledgement] = {}
    for reported in findings:
        if reported.acknowledgement is None or not reported.places:
            continue
        place = reported.places[0]
        if place.logical_id is not None:
            accepted.setdefault(
                (place.stack, place.logical_id, reported.rule.id), reported.acknowledgement
            )
    return accepted


def _results(
    outcome: _Outcome,
    acknowledged: Mapping[tuple[str, str, str], Acknowledgement],
    found: _inputs.Inputs,
    fail_on: FailOn,
) -> tuple[list[Result], list[VerifiedRow]]:
    results: list[Result] = []
    rows: list[VerifiedRow] = []
    planned = outcome.planned
    # Where what no template names is shown: the alias or version whose policy it is, else
    # the function.
    function_place = _defined_by(planned) or planned.function_place
    resource = outcome.resource

    def add(
        finding: Finding,
        place: Place | None,
        acknowledgement: Acknowledgement | None = None,
        fails_always: bool = False,
    ) -> None:
        places = tuple(p for p in (place, function_place) if p is not None)
        unique = tuple(dict.fromkeys(places))
        reported = Reported(
            replace(finding, location=(resource,)),
            finding.rule.severity,
            unique,
            acknowledgement,
        )
        result_fails = fails_always or fails(reported, fail_on)
        results.append(Result(reported, tuple(located(p, found) for p in unique), result_fails))

    if outcome.not_found is not None:
        add(
            drift_rules.NOT_FOUND.finding(
                f"{outcome.not_found}, so none of the {len(planned.intended)} statement(s) the "
                "templates grant on it is in force; a deploy that replaced the function, or a "
                "FunctionName that names another function, leaves the grants pointing at "
                "nothing",
                value=resource,
            ),
            function_place,
            fails_always=True,
        )
    comparison = outcome.comparison
    if comparison is None:
        return results, rows
    function = outcome.function or planned.function
    for pair in comparison.pairs:
        place: Place | None = pair.origin if isinstance(pair.origin, Place) else None
        rows.append(VerifiedRow(pair=pair, location=location_of(place, found)))
        if pair.status == drift.MISSING and outcome.not_found is None:
            assert pair.intended is not None
            add(
                drift_rules.MISSING.finding(
                    f"the statement granting {_grant(pair.intended)} is not in the live policy "
                    f"of {resource}",
                    value=_grant(pair.intended),
                ),
                place,
                fails_always=True,
            )
        elif pair.status == drift.EXTRA:
            assert pair.live is not None
            add(
                drift_rules.EXTRA.finding(
                    f"live statement {pair.live.sid!r} grants {_grant(pair.live)} on {resource}, "
                    "and no template intends it: it was added outside the stacks",
                    value=pair.live.sid,
                ),
                None,
                fails_always=True,
            )
        elif pair.status == drift.CHANGED:
            assert pair.live is not None
            assert pair.intended is not None
            add(
                drift_rules.CHANGED.finding(
                    f"live statement {pair.live.sid!r} grants {_grant(pair.live)} on {resource} "
                    f"with other conditions than the templates: {'; '.join(pair.differences)}",
                    value=pair.live.sid,
                ),
                place,
                fails_always=True,
            )
        if pair.live is None:
            continue
        # The catalogue's rules on the live statement, as on a template's.
        read = drift.permission_of(pair.live, function, outcome.qualifier)
        if read.permission is None:
            add(
                drift_rules.NOT_EVALUATED.finding(
                    f"live statement {pair.live.sid!r} on {resource} holds "
                    f"{', '.join(read.unexpressed)}, which no AddPermission parameter "
                    "expresses: the catalogue's rules were not applied to it",
                    value=pair.live.sid,
                    evaluated=False,
                ),
                place,
            )
            continue
        for finding in _rules.check(read.permission):
            accepted = None
            if place is not None and place.logical_id is not None:
                candidate = acknowledged.get((place.stack, place.logical_id, finding.rule.id))
                if candidate is not None and finding.severity is not Severity.ERROR:
                    accepted = candidate
            add(
                replace(
                    finding,
                    message=f"live statement {pair.live.sid!r} on {resource}: {finding.message}",
                ),
                place,
                accepted,
            )
    return results, rows


def _grant(statement: drift.Statement) -> str:
    meaning = statement.meaning
    verb = "" if meaning.effect == "Allow" else f"{meaning.effect} "
    return f"{verb}{meaning.show_actions()} to {meaning.show_principals()}"

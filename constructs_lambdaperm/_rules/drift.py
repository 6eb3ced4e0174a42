"""LP701-LP705: what ``lambdaperm verify`` finds when the live policies differ from the templates.

No check of one permission: ``verify`` compares a function's live policy with what the
templates intend (``_policy.drift``) and reports each difference with one of these rules, so
that the text, JSON and SARIF outputs show drift as they show any finding. Drift always makes
``verify`` exit 1, whatever ``--fail-on`` says; a template cannot acknowledge it (there is no
template resource for what was added outside the stacks).
"""

from __future__ import annotations

from .._core.findings import Severity
from .registry import define

GET_POLICY_URL = "https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html"
DRIFT_URL = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html"
)

MISSING = define(
    "LP701",
    Severity.WARNING,
    title="Every statement the templates grant is in the live policy",
    explanation=(
        "A statement the templates intend is not in the function's live policy: the grant is "
        "not in force (it was removed with RemovePermission, or the stack is not deployed as "
        "synthesized), so the service or account it names cannot invoke the function. "
        "CloudFormation's drift detection does not see statements."
    ),
    fix="deploy the stack again, or find who removed the statement",
    doc_url=GET_POLICY_URL,
)

EXTRA = define(
    "LP702",
    Severity.UNSAFE,
    title="The live policy holds only the statements the templates grant",
    explanation=(
        "A statement of the function's live policy matches nothing the templates intend: it was "
        "added outside the stacks (in the console, with the CLI, by another tool), so whoever it "
        "names may invoke the function without any template saying so. CloudFormation's drift "
        "detection does not see it: it compares the stack's own resources only."
    ),
    fix=(
        "remove it with `aws lambda remove-permission --function-name NAME --statement-id SID`, "
        "or add the grant to the stack so it is reviewed like the others"
    ),
    doc_url=DRIFT_URL,
)

CHANGED = define(
    "LP703",
    Severity.UNSAFE,
    title="A live statement has the conditions the templates give it",
    explanation=(
        "The live policy grants the same action to the same principal as a statement the "
        "templates intend, but under other conditions (another SourceArn, no SourceAccount...): "
        "it was changed outside the stack, and may now let other sources invoke the function."
    ),
    fix="remove the live statement and deploy the stack again, so the grant is as the template",
    doc_url=DRIFT_URL,
)

NOT_FOUND = define(
    "LP704",
    Severity.WARNING,
    title="The function, version or alias the templates grant on exists",
    explanation=(
        "Lambda has no function, version or alias of that name where the templates' grants "
        "point: the stack is not deployed as synthesized, the function was deleted or replaced, "
        "or a FunctionName names a function that does not exist. None of its grants is in "
        "force."
    ),
    fix="deploy the stack, or correct the FunctionName the permissions name",
    doc_url=GET_POLICY_URL,
)

NOT_EVALUATED = define(
    "LP705",
    Severity.WARNING,
    title="The catalogue can check every live statement",
    explanation=(
        "A live statement holds what no AddPermission parameter expresses (a Deny, several "
        "principals or actions, a condition key AddPermission never writes): the catalogue's "
        "rules, written for AddPermission's parameters, were not applied to it. It is reported, "
        "never passed as checked."
    ),
    fix="review the statement by hand (`aws lambda get-policy`)",
    doc_url=GET_POLICY_URL,
)

"""Front end: what is live in an AWS account, read with boto3, and nothing but reads.

The one reader that talks to AWS. Every client it makes carries an event hook that refuses any
operation not in :data:`READ_OPERATIONS` before a request is signed, so no code path of this
package can change an account through it (``lambdaperm verify``'s read-only guarantee; a test
runs the whole command with every client wrapped). Clients use boto3's ``standard`` retry
mode with a bounded number of attempts (throttling is retried with exponential backoff and
jitter), a connection pool as large as the number of requests the caller makes at once, and
are shared between threads (boto3's low-level clients are thread-safe; sessions are not, so
clients are made under a lock).

``AWS_ENDPOINT_URL`` (and the per-service ``AWS_ENDPOINT_URL_LAMBDA``...) is honoured by
botocore itself, which is how the tests point the reader at moto's server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.exceptions
from botocore.config import Config

from .._core.version import VERSION

READ_OPERATIONS = frozenset(
    {
        "GetPolicy",
        "GetResourcePolicy",
        "GetFunction",
        "GetFunctionConfiguration",
        "DescribeStackResource",
        "DescribeStackResources",
        "DescribeStacks",
        "ListStackResources",
        "GetCallerIdentity",
    }
)
"""The only operations a client of this reader sends: all of them reads."""

DEFAULT_MAX_ATTEMPTS = 5
"""Attempts per request, the first included (boto3's standard retry mode)."""

MAX_CONCURRENCY = 10
"""Requests in flight at once: boto3's default connection pool size."""

_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)
_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
_CREDENTIALS = frozenset(
    {"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch"}
)

_SERVICES = {"lambda": "lambda", "cloudformation": "cloudformation", "sts": "sts"}


class ReadOnlyError(RuntimeError):
    """An operation that is not a read was about to be sent: refused before it was signed."""


class LiveError(Exception):
    """A read that failed, in one line: what was asked, of what, and why.

    ``kind`` is ``credentials``, ``denied``, ``throttled``, ``not-found``, ``connection`` or
    ``error``.
    """

    def __init__(self, kind: str, action: str, target: str, reason: str) -> None:
        super().__init__(f"{action} on {target}: {reason}")
        self.kind = kind
        """What went wrong."""
        self.action = action
        """The IAM action asked for (``lambda:GetPolicy``)."""
        self.target = target
        """What it was asked of."""
        self.reason = reason
        """Why it failed, in AWS's words where it gave some."""


class FunctionNotFoundError(Exception):
    """The function (or its version or alias) does not exist."""


def refuse_writes(model: Any, **_: Any) -> None:
    """The event hook on every client: refuse any operation that is not a read."""
    name = getattr(model, "name", str(model))
    if name not in READ_OPERATIONS:
        raise ReadOnlyError(
            f"lambdaperm verify only reads: {name} is not one of the read operations it may "
            f"call ({', '.join(sorted(READ_OPERATIONS))})"
        )


@dataclass(frozen=True)
class LivePolicy:
    """A policy as the API returned it."""

    text: str | None
    """The document (its JSON text); ``None`` when the function has no policy."""
    revision: str | None = None
    """Its ``RevisionId``."""


class Account:
    """Read-only clients on one AWS account, shared between threads.

    :param profile: the named profile. Default: - boto3's chain (environment, config files,
        instance roles...).
    :param region: the region when a stack does not say. Default: - the profile's or the
        environment's.
    :param max_attempts: attempts per request, the first included. Default: 5.
    :param concurrency: requests in flight at once (the connection pool's size). Default: 10.
    :raises LiveError: ``credentials`` when the profile does not exist.
    """

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        concurrency: int = MAX_CONCURRENCY,
    ) -> None:
        try:
            self._session = boto3.session.Session(profile_name=profile, region_name=region)
        except botocore.exceptions.ProfileNotFound as error:
            raise LiveError(
                "credentials", "reading the profile", str(profile), str(error)
            ) from None
        given = self._session.region_name
        self.region: str | None = str(given) if given else None
        """The default region (``None`` when nothing gives one)."""
        self.max_attempts = max_attempts
        """Attempts per request."""
        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            max_pool_connections=concurrency,
            connect_timeout=10,
            read_timeout=30,
            user_agent_extra=f"lambdaperm/{VERSION}",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._account: str | None = None

    def check_credentials(self) -> None:
        """:raises LiveError: ``credentials`` when boto3 finds no credentials."""
        try:
            credentials = self._session.get_credentials()
        except Exception as error:  # botocore raises ValueError for some bad settings too
            raise LiveError(
                "credentials", "reading credentials", "the session", str(error)
            ) from None
        if credentials is None:
            raise LiveError(
                "credentials",
                "reading credentials",
                "the session",
                "no AWS credentials found (set AWS_PROFILE or use --profile, or the "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables)",
            )

    def client(self, service: str, region: str | None = None) -> Any:
        """A read-only client of ``service`` in ``region`` (made once, then shared)."""
        where = region or self.region
        if where is None:
            raise LiveError(
                "error",
                f"{service} in no region",
                "the session",
                "no region: give --region, or set AWS_DEFAULT_REGION or the profile's region",
            )
        key = (_SERVICES[service], where)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(key[0], region_name=where, config=self._config)
                client.meta.events.register("before-call", refuse_writes)
                self._clients[key] = client
        return client

    def clients(self) -> list[Any]:
        """Every client made so far."""
        with self._lock:
            return list(self._clients.values())

    # --- Lambda ----------------------------------------------------------------------------

    def policy(self, function: str, qualifier: str | None, region: str | None) -> LivePolicy:
        """``GetPolicy`` of ``function`` (a name or ARN) and ``qualifier``.

        :raises FunctionNotFoundError: when the function, version or alias does not exist.
        :raises LiveError: for any other failure.
        """
        arguments = {"FunctionName": function}
        if qualifier is not None:
            arguments["Qualifier"] = qualifier
        target = _qualified(function, qualifier)
        try:
            answer = self.client("lambda", region).get_policy(**arguments)
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                self._exists(function, qualifier, region)
                return LivePolicy(None)
            raise _live_error(error, "lambda:GetPolicy", target) from None
        except (botocore.exceptions.BotoCoreError, ReadOnlyError) as error:
            raise _other_error(error, "lambda:GetPolicy", target) from None
        return LivePolicy(answer.get("Policy"), answer.get("RevisionId"))

    def resource_policy(self, arn: str, region: str | None) -> LivePolicy:
        """``GetResourcePolicy`` of the function, version or alias ``arn``.

        :raises FunctionNotFoundError: when it does not exist.
        :raises LiveError: for any other failure.
        """
        try:
            answer = self.client("lambda", region).get_resource_policy(ResourceArn=arn)
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                function, _, qualifier = _split_qualified(arn)
                self._exists(function, qualifier, region)
                return LivePolicy(None)
            raise _live_error(error, "lambda:GetResourcePolicy", arn) from None
        except (botocore.exceptions.BotoCoreError, ReadOnlyError) as error:
            raise _other_error(error, "lambda:GetResourcePolicy", arn) from None
        return LivePolicy(answer.get("Policy"), answer.get("RevisionId"))

    def _exists(self, function: str, qualifier: str | None, region: str | None) -> None:
        """:raises FunctionNotFoundError: when the function or qualifier does not exist."""
        arguments = {"FunctionName": function}
        if qualifier is not None:
            arguments["Qualifier"] = qualifier
        target = _qualified(function, qualifier)
        try:
            self.client("lambda", region).get_function_configuration(**arguments)
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                raise FunctionNotFoundError(target) from None
            raise _live_error(error, "lambda:GetFunctionConfiguration", target) from None
        except (botocore.exceptions.BotoCoreError, ReadOnlyError) as error:
            raise _other_error(error, "lambda:GetFunctionConfiguration", target) from None

    # --- CloudFormation and STS -------------------------------------------------------------

    def physical_id(self, stack: str, logical_id: str, region: str | None) -> str:
        """The physical ID of ``logical_id`` in the deployed ``stack`` (``DescribeStackResource``).

        :raises LiveError: ``not-found`` when the stack or the resource is not deployed.
        """
        target = f"{logical_id} of stack {stack}"
        try:
            answer = self.client("cloudformation", region).describe_stack_resource(
                StackName=stack, LogicalResourceId=logical_id
            )
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ValidationError":
                raise LiveError(
                    "not-found", "cloudformation:DescribeStackResource", target, _message(error)
                ) from None
            raise _live_error(error, "cloudformation:DescribeStackResource", target) from None
        except (botocore.exceptions.BotoCoreError, ReadOnlyError) as error:
            raise _other_error(error, "cloudformation:DescribeStackResource", target) from None
        physical = answer["StackResourceDetail"].get("PhysicalResourceId")
        if not physical:
            raise LiveError(
                "not-found",
                "cloudformation:DescribeStackResource",
                target,
                "the resource has no physical ID (not created yet, or deleted)",
            )
        return str(physical)

    def parameters(self, stack: str, region: str | None) -> dict[str, str]:
        """The parameter values of the deployed ``stack`` (``DescribeStacks``)."""
        target = f"stack {stack}"
        try:
            answer = self.client("cloudformation", region).describe_stacks(StackName=stack)
        except botocore.exceptions.ClientError as error:
            if _code(error) == "ValidationError":
                raise LiveError(
                    "not-found", "cloudformation:DescribeStacks", target, _message(error)
                ) from None
            raise _live_error(error, "cloudformation:DescribeStacks", target) from None
        except (botocore.exceptions.BotoCoreError, ReadOnlyError) as error:
            raise _other_error(error, "cloudformation:DescribeStacks", target) from None
        stacks = answer.get("Stacks") or [{}]
        return {
            str(p["ParameterKey"]): str(p.get("ResolvedValue", p.get("ParameterValue", "")))
            for p in stacks[0].get("Parameters") or ()
        }

    def account(self) -> str:
        """The account the credentials belong to (``GetCallerIdentity``, asked once)."""
        with self._lock:
            if self._account is not None:
                return self._account
        try:
            answer = self.client("sts").get_caller_identity()
        except botocore.exceptions.ClientError as error:
            raise _live_error(error, "sts:GetCallerIdentity", "the credentials") from None
        except (botocore.exceptions.BotoCoreError, ReadOnlyError) as error:
            raise _other_error(error, "sts:GetCallerIdentity", "the credentials") from None
        with self._lock:
            self._account = str(answer["Account"])
            return self._account


def _qualified(function: str, qualifier: str | None) -> str:
    return function if qualifier is None else f"{function}:{qualifier}"


def _split_qualified(arn: str) -> tuple[str, str, str | None]:
    parts = arn.split(":")
    if len(parts) == 8:
        return ":".join(parts[:7]), ":", parts[7]
    return arn, "", None


def _code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _message(error: botocore.exceptions.ClientError) -> str:
    text = str(error.response.get("Error", {}).get("Message", "")) or str(error)
    return " ".join(text.split())


def _live_error(error: botocore.exceptions.ClientError, action: str, target: str) -> LiveError:
    code = _code(error)
    message = _message(error)
    if code in _THROTTLING:
        attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        return LiveError(
            "throttled",
            action,
            target,
            f"throttled ({code}) on each of {attempts} attempt(s), with backoff; try again "
            "later, or with --max-attempts higher",
        )
    if code in _DENIED:
        return LiveError(
            "denied", action, target, f"access denied ({code}): allow {action} to run verify"
        )
    if code in _CREDENTIALS:
        return LiveError("credentials", action, target, f"the credentials were refused ({code})")
    return LiveError("error", action, target, f"{code}: {message}" if code else message)


def _other_error(error: Exception, action: str, target: str) -> LiveError:
    if isinstance(error, ReadOnlyError):
        return LiveError("error", action, target, str(error))
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return LiveError("credentials", action, target, "no AWS credentials found")
    if isinstance(error, botocore.exceptions.ConnectionError):
        return LiveError("connection", action, target, f"cannot reach AWS ({error})")
    return LiveError("error", action, target, f"{type(error).__name__}: {error}")

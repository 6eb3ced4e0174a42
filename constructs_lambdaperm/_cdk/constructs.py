"""The core grants: an S3 bucket, another account, an organization, a function URL."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from aws_cdk import aws_lambda
from constructs import Construct

from .._core.model import INVOKE, INVOKE_URL, Permission, PrincipalKind
from .._rules import intent
from .function_input import FunctionInput
from .grant import COMMON_NAMES, Grant, owner_account

if TYPE_CHECKING:  # only in annotations: importing aws_s3 costs about 15 ms
    from aws_cdk import aws_s3


class S3InvokePermission(Grant):
    """Lets an S3 bucket's event notifications invoke a function.

    Grants ``lambda:InvokeFunction`` to ``s3.amazonaws.com``, limited to the bucket (SourceArn)
    and to the account that owns it (SourceAccount): a bucket name is global, so without the
    account another account could create a bucket of the same name and invoke the function.

    Example::

        S3InvokePermission(stack, "FromUploads", function=fn, bucket=uploads)
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **COMMON_NAMES,
        "SourceArn": "bucket / bucket_arn",
        "SourceAccount": "source_account",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        bucket: aws_s3.IBucket | None = None,
        bucket_arn: str | None = None,
        source_account: str | None = None,
        qualifier: str | None = None,
    ) -> None:
        """Grant the bucket's notifications the right to invoke ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function to invoke: an ``IFunction``, ``IVersion``, ``IAlias`` or
            a FunctionName (name, partial ARN or ARN, with an optional ``:<qualifier>``).
        :param bucket: the bucket that sends the notifications. Default: - ``bucket_arn`` is
            used; give exactly one of ``bucket`` and ``bucket_arn``.
        :param bucket_arn: the ARN of the bucket, ``arn:<partition>:s3:::<name>``.
            Default: - the ARN of ``bucket``.
        :param source_account: the 12-digit ID of the account that owns the bucket.
            Default: - for a bucket the app creates, its stack's account (in an
            environment-agnostic stack, that stack's ``AWS::AccountId``, as aws-cdk's own
            ``LambdaDestination`` does). An imported bucket (``Bucket.from_bucket_arn``,
            ``from_bucket_name``) may be in any account, since bucket names are global, and
            so may a ``bucket_arn``: both are refused (rule LP303) until you pass it, unless
            the bucket was imported with an account of its own
            (``Bucket.from_bucket_attributes(account=...)``, another than the stack's).
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        self._refuse(intent.exactly_one(bucket=bucket, bucket_arn=bucket_arn))
        owner: str | None = None
        if bucket is not None:
            bucket_arn, owner = _arn_and_account(bucket)
        assert bucket_arn is not None
        mismatch = None
        if source_account is None:
            source_account = owner
        else:
            mismatch = intent.source_account_matches(source_account, owner, "the bucket")
        target = self._target(function, qualifier)
        self._emit(
            target,
            [
                (
                    "Resource",
                    Permission(
                        function_name=target.function_name,
                        qualifier=target.qualifier,
                        principal="s3.amazonaws.com",
                        source_arn=bucket_arn,
                        source_account=source_account,
                    ),
                )
            ],
            [intent.S3_BUCKET.check(self._read(bucket_arn)), mismatch],
        )


def _arn_and_account(bucket: aws_s3.IBucket) -> tuple[str, str | None]:
    # A jsii round trip for the ARN, the same answer for every grant from the bucket: read
    # once per bucket object (its owner is read once too, by owner_account).
    try:
        arn = _BUCKETS.get(bucket)
    except TypeError:  # not weakly referenceable
        return bucket.bucket_arn, owner_account(bucket)
    if arn is None:
        arn = _BUCKETS[bucket] = bucket.bucket_arn
    return arn, owner_account(bucket)


_BUCKETS: weakref.WeakKeyDictionary[aws_s3.IBucket, str] = weakref.WeakKeyDictionary()


class CrossAccountPermission(Grant):
    """Lets another AWS account, or one IAM role or user in it, use a function.

    Example::

        CrossAccountPermission(stack, "Partner", function=fn, principal="223456789012")
    """

    _PRINCIPAL_KEY: ClassVar[str | None] = "AWS"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        principal: str,
        action: str = INVOKE,
        qualifier: str | None = None,
    ) -> None:
        """Grant ``principal`` the ``action`` on ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (name, partial ARN or ARN, with an optional ``:<qualifier>``).
        :param principal: the 12-digit ID of the account, or the ARN of its root, of an IAM
            role or of an IAM user in it. ``*`` and service principals are refused (LP204),
            also when built with pseudo-parameters (``f"sns.{Aws.URL_SUFFIX}"``).
        :param action: the action granted. Default: ``lambda:InvokeFunction``; ``lambda:*`` and
            ``*`` are refused unless rule LP305 is acknowledged.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        wrong_kind = intent.principal_for_grant(
            self._read(principal), {PrincipalKind.ACCOUNT, PrincipalKind.IAM}
        )
        target = self._target(function, qualifier)
        self._emit(
            target,
            [
                (
                    "Resource",
                    Permission(
                        function_name=target.function_name,
                        qualifier=target.qualifier,
                        principal=principal,
                        action=action,
                    ),
                )
            ],
            [wrong_kind],
        )


class OrgPermission(Grant):
    """Lets every account of an AWS Organization use a function.

    Grants to principal ``*`` with the condition ``aws:PrincipalOrgID``: only identities of
    accounts in the organization match.

    Example::

        OrgPermission(stack, "WholeOrg", function=live_alias, org_id="o-a1b2c3d4e5")
    """

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {**COMMON_NAMES, "PrincipalOrgID": "org_id"}

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        org_id: str,
        action: str = INVOKE,
        qualifier: str | None = None,
    ) -> None:
        """Grant the organization ``org_id`` the ``action`` on ``function``.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permission.
        :param function: the function: an ``IFunction``, ``IVersion``, ``IAlias`` or a
            FunctionName (name, partial ARN or ARN, with an optional ``:<qualifier>``).
        :param org_id: the organization ID: ``o-`` and 10 to 32 lower-case letters or digits.
            Required: ``None`` is a ``TypeError`` and an empty or malformed ID is refused
            (rule LP107), never a grant to ``*`` without the condition.
        :param action: the action granted. Default: ``lambda:InvokeFunction``; ``lambda:*`` and
            ``*`` are refused unless rule LP305 is acknowledged.
        :param qualifier: the version or alias to grant on. Default: - the version or alias
            ``function`` names, else the unqualified function.
        """
        super().__init__(scope, id)
        target = self._target(function, qualifier)
        self._emit(
            target,
            [
                (
                    "Resource",
                    Permission(
                        function_name=target.function_name,
                        qualifier=target.qualifier,
                        principal="*",
                        principal_org_id=org_id,
                        action=action,
                    ),
                )
            ],
        )


class FunctionUrlPermission(Grant):
    """Lets callers invoke a function through its function URL.

    Since October 2025 a function URL needs two permissions, and this construct makes both:
    ``lambda:InvokeFunctionUrl`` with the URL's auth type (``InvokeFunctionUrl`` child), and
    ``lambda:InvokeFunction`` limited to calls through a function URL (``InvokeFunction`` child).

    Example::

        FunctionUrlPermission(
            stack, "Url", function=fn, auth_type="AWS_IAM",
            principal="arn:aws:iam::223456789012:role/caller",
        )
    """

    _PRINCIPAL_KEY: ClassVar[str | None] = "AWS"

    _PARAMETER_NAMES: ClassVar[Mapping[str, str]] = {
        **COMMON_NAMES,
        "FunctionUrlAuthType": "auth_type",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        function: FunctionInput,
        auth_type: aws_lambda.FunctionUrlAuthType | str,
        principal: str,
        qualifier: str | None = None,
    ) -> None:
        """Grant ``principal`` the right to invoke ``function`` through its function URL.

        :param scope: the parent construct.
        :param id: the construct ID; changing it replaces the permissions.
        :param function: the function whose URL is called: an ``IFunction``, ``IVersion``,
            ``IAlias`` or a FunctionName (with an optional ``:<qualifier>``).
        :param auth_type: the URL's auth type, ``AWS_IAM`` (callers sign their requests) or
            ``NONE`` (public: refused unless rule LP306 is acknowledged). With principal ``*``,
            one known only at deploy time is refused as both LP306 and LP307, since either
            value is unsafe.
        :param principal: who may call: for ``AWS_IAM`` an account ID or the ARN of an account
            root, IAM role or user (``*`` is refused unless rule LP307 is acknowledged); for
            ``NONE`` it must be ``*``.
        :param qualifier: the alias the URL is on. Default: - the alias ``function`` names,
            else the unqualified function.
        """
        super().__init__(scope, id)
        auth = auth_type if isinstance(auth_type, str) else str(auth_type.value)
        allowed = (
            {PrincipalKind.ANYONE}
            if auth == "NONE"
            else {PrincipalKind.ACCOUNT, PrincipalKind.IAM, PrincipalKind.ANYONE}
        )
        wrong_kind = intent.principal_for_grant(self._read(principal), allowed)
        target = self._target(function, qualifier)
        url = Permission(
            function_name=target.function_name,
            qualifier=target.qualifier,
            principal=principal,
            action=INVOKE_URL,
            function_url_auth_type=auth,
        )
        invoke = replace(
            url, action=INVOKE, function_url_auth_type=None, invoked_via_function_url=True
        )
        self._emit(target, [("InvokeFunctionUrl", url), ("InvokeFunction", invoke)], [wrong_kind])

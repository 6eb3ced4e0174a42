"""Front end: a SAM template (``Transform: AWS::Serverless-2016-10-31``), transformed locally.

A SAM template declares functions and their events; the ``AWS::Lambda::Permission`` resources
exist only once AWS's transform has run. This module runs the same transform, AWS's own
``aws-sam-translator`` from PyPI, in the process, with no call to AWS:

- the managed-policy names of a function's ``Policies`` are turned into ARNs from the map the
  translator bundles, never from IAM's ``ListPolicies`` (the loader the hosted transform uses):
  a name the bundled map lacks (a policy newer than the translator) stays a name in the role's
  ``ManagedPolicyArns`` instead of an ARN. Roles only: no Lambda permission depends on it;
- an ``AWS::Serverless::Application`` from the Serverless Application Repository is not
  looked up: its nested stack's ``TemplateURL`` is a placeholder naming the application, and
  the permissions of that application's own template are not read (they are not in the file
  either);
- the region is given (``us-east-1`` unless told), not read from the environment: it decides
  the partition SAM writes into the ARNs it generates (``arn:aws:execute-api:...``).

The translator's output keeps the SAM resources' logical IDs as prefixes of what each
generates (``Thumbnailer`` makes ``ThumbnailerUploadPermission``), so each generated resource
is traced back to its SAM resource when only one SAM resource can have made it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core.findings import ACKNOWLEDGED_RULES

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
DEFAULT_REGION = "us-east-1"
"""The region a SAM template is transformed for when none is given (partition ``aws``)."""

_SAM_TYPE_PREFIX = "AWS::Serverless::"
_SAR_PLACEHOLDER = "https://serverlessrepo.invalid/applications/{app}/versions/{version}"


class SamTransformError(ValueError):
    """The translator refused the template; the message says why, in one line."""


class SamUnavailableError(ImportError):
    """``aws-sam-translator`` is not installed."""


@dataclass(frozen=True)
class SamTemplate:
    """A SAM template transformed into the CloudFormation template AWS would deploy."""

    template: dict[str, Any]
    """The transformed template."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """The SAM resource each generated resource came from, by the generated logical ID, when
    one can be told."""
    acknowledged: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Rules acknowledged in a SAM resource's ``Metadata`` (``aws:cdk:acknowledged-rules``), by
    its logical ID: they apply to every resource generated from it."""


def is_sam(template: Mapping[str, Any]) -> bool:
    """Whether ``template`` is a SAM template.

    It declares the SAM transform (alone or among others), or declares no transform and holds
    ``AWS::Serverless::*`` resources: only SAM can deploy those (SAM's own test inputs and
    templates meant for ``sam`` often leave the line out).
    """
    transform = template.get("Transform")
    if isinstance(transform, str):
        return transform == SAM_TRANSFORM
    if isinstance(transform, list):
        return SAM_TRANSFORM in transform
    return transform is None and bool(_sam_resources(template))


def transform(template: Mapping[str, Any], *, region: str = DEFAULT_REGION) -> SamTemplate:
    """``template`` transformed by ``aws-sam-translator``, with no call to AWS.

    :param region: the region the template is deployed to, for the partition of the ARNs SAM
        generates. Default: ``us-east-1``.
    :raises SamTransformError: when the translator refuses the template (its messages, joined).
    :raises SamUnavailableError: when ``aws-sam-translator`` is not installed.
    """
    try:
        from samtranslator.model.exceptions import (
            ExceptionWithMessage,
            InvalidDocumentException,
        )
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
        from samtranslator.utils.py27hash_fix import (
            to_py27_compatible_template,
            undo_mark_unicode_str_in_template,
        )
    except ImportError as error:  # pragma: no cover - the cli extra brings it
        raise SamUnavailableError(
            "SAM templates need aws-sam-translator: pip install 'constructs-lambdaperm[cli]'"
        ) from error

    # The translator warns through logging about metrics it was never asked to publish and
    # feature flags of AWS's hosted service: nothing a reader of the template can act on.
    logging.getLogger("samtranslator").addHandler(_QUIET)
    source = copy.deepcopy(dict(template))
    sam_resources = _sam_resources(source)
    translator = Translator(
        managed_policy_map={},
        sam_parser=Parser(),
        plugins=[_offline_applications()],
        boto_session=_Region(region),
    )
    given = copy.deepcopy(source)
    parameters: dict[str, Any] = {}
    try:
        # As the hosted transform does: the logical IDs SAM hashes come out the same.
        to_py27_compatible_template(given, parameters)
        transformed = translator.translate(
            given,
            parameter_values=parameters,
            # The hosted transform falls back to IAM's ListPolicies for names the bundled map
            # lacks; here such a name stays as it is written.
            get_managed_policy_map=dict,
        )
    except InvalidDocumentException as error:
        raise SamTransformError(_messages(error.causes)) from None
    except ExceptionWithMessage as error:
        raise SamTransformError(_one_line(error.message)) from None
    except Exception as error:  # the translator's own failures on odd input
        raise SamTransformError(
            f"aws-sam-translator could not transform it ({type(error).__name__}: {error})"
        ) from None
    finally:
        translator.metrics.publish()  # to no one: it keeps the translator from warning
    transformed = undo_mark_unicode_str_in_template(transformed)
    generated = [
        str(logical_id)
        for logical_id in (transformed.get("Resources") or {})
        if logical_id not in source.get("Resources", {}) or logical_id in sam_resources
    ]
    return SamTemplate(
        template=transformed,
        sources=_sources(generated, sam_resources),
        acknowledged=_acknowledged(source, sam_resources),
    )


_QUIET = logging.NullHandler()


class _Region:
    """What the translator reads of a boto3 session: the region, and nothing else."""

    def __init__(self, region: str) -> None:
        self.region_name = region


def _offline_applications() -> Any:
    """The translator's Serverless Application Repository plugin, making no call to SAR."""
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin

    class OfflineApplications(ServerlessAppPlugin):  # type: ignore[misc]
        def _make_service_call_with_retry(
            self, service_call: Any, app_id: Any, semver: Any, key: Any, logical_id: Any
        ) -> None:
            self._applications[key] = _SAR_PLACEHOLDER.format(app=app_id, version=semver)

    return OfflineApplications()


def _sam_resources(template: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return {}
    return {
        str(logical_id): resource
        for logical_id, resource in resources.items()
        if isinstance(resource, Mapping)
        and isinstance(resource.get("Type"), str)
        and resource["Type"].startswith(_SAM_TYPE_PREFIX)
    }


def _sources(generated: list[str], sam: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The SAM resource each generated logical ID came from, where only one can have made it.

    SAM names what it generates ``<SAM logical ID><what>`` (``<function><event>Permission``,
    ``<function>Role``, ``<api>ProdStage``...). When two SAM resources' IDs prefix it (``Fn``
    and ``FnTwo`` for ``FnTwoPermission``), the longer one made it unless the shorter is a
    function whose event's name the rest begins with (``Fn`` with an event ``TwoApi``): then
    it cannot be told.
    """
    found: dict[str, str] = {}
    for logical_id in generated:
        if logical_id in sam:
            found[logical_id] = logical_id  # the function keeps its SAM resource's ID
            continue
        candidates = sorted((s for s in sam if logical_id.startswith(s)), key=len, reverse=True)
        if not candidates:
            continue
        longest, shorter = candidates[0], candidates[1:]
        if any(_event_prefixes(sam[s], logical_id[len(s) :]) for s in shorter):
            continue
        found[logical_id] = longest
    return found


def _event_prefixes(resource: Mapping[str, Any], rest: str) -> bool:
    properties = resource.get("Properties")
    events = properties.get("Events") if isinstance(properties, Mapping) else None
    if not isinstance(events, Mapping):
        return False
    return any(rest.startswith(str(name)) for name in events)


def _acknowledged(
    template: Mapping[str, Any], sam: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for logical_id, resource in sam.items():
        metadata = resource.get("Metadata")
        acknowledged = metadata.get(ACKNOWLEDGED_RULES) if isinstance(metadata, Mapping) else None
        if isinstance(acknowledged, Mapping) and acknowledged:
            found[logical_id] = {str(k): str(v) for k, v in acknowledged.items()}
    return found


def _messages(causes: Any) -> str:
    texts = sorted({_one_line(getattr(cause, "message", str(cause))) for cause in causes or ()})
    return "; ".join(texts) or "the template is not a valid SAM template"


def _one_line(text: object) -> str:
    return " ".join(str(text).split())

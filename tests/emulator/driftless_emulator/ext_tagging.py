"""Resource Groups Tagging API: GetResources paging as driftless uses it.

Pages hold up to ResourcesPerPage (1..100, default 100 here) resources; a
PaginationToken continues. moto 5.2.5 defaults to 50 and also cuts a page once
the page's tag count reaches TagsPerPage even when the caller did not ask for
a tag limit; here TagsPerPage only applies when given. The resources
themselves come from moto's backends (SSM and Backup are extended in
ext_ssm/ext_backup to list maintenance windows, patch baselines and plans).

moto files log groups under the resource type `logs:loggroup`; AWS's type is
`logs:log-group`, so a ResourceTypeFilters of `logs:log-group` found nothing.
The logs backend's listing is replaced to use AWS's name.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.resourcegroupstaggingapi.exceptions import ResourceGroupsTaggingAPIError
from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse


def get_resources(self: Any) -> ActionResult:
    pagination_token = self._get_param("PaginationToken") or None
    tag_filters = self._get_param("TagFilters", [])
    resources_per_page = self._get_int_param("ResourcesPerPage", 100)
    tags_per_page = self._get_int_param("TagsPerPage", None)
    resource_type_filters = self._get_param("ResourceTypeFilters", [])
    resource_arn_list = self._get_param("ResourceARNList", [])
    if tags_per_page is not None and tags_per_page not in range(100, 501):
        raise ResourceGroupsTaggingAPIError("InvalidParameterException", "TagsPerPage must be between 100 and 500")
    if resources_per_page not in range(1, 101):
        raise ResourceGroupsTaggingAPIError(
            "InvalidParameterException", "ResourcesPerPage must be between 1 and 100"
        )
    token, resources = self.backend.get_resources(
        pagination_token=pagination_token,
        tag_filters=tag_filters,
        resources_per_page=resources_per_page,
        tags_per_page=tags_per_page if tags_per_page is not None else 10**9,
        resource_type_filters=resource_type_filters,
        resource_arn_list=resource_arn_list,
    )
    result: dict[str, Any] = {
        "ResourceTagMappingList": [
            {"ResourceARN": r.arn, "Tags": [{"Key": k, "Value": v} for k, v in r.tags.items()]}
            for r in resources
        ],
        # AWS always answers with a token; empty means "no more pages".
        "PaginationToken": token or "",
    }
    return ActionResult(result)


def _iter_log_groups(self: Any) -> Any:
    from moto.core.resource_tagging import TaggedResource

    for group in self.groups.values():
        yield TaggedResource(
            arn=group.arn,
            tags=self.tagger.get_tag_dict_for_resource(group.arn),
            resource_type="logs:log-group",
        )


def apply() -> None:
    from moto.logs.models import LogsBackend

    ResourceGroupsTaggingAPIResponse.get_resources = get_resources
    LogsBackend.iter_tagged_resources = _iter_log_groups

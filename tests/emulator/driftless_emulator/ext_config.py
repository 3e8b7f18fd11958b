"""AWS Config aggregators as AWS has them, where moto 5.2.5 differs.

* PutConfigurationAggregator: "Tags are added at creation and cannot be updated
  with this operation" (API_PutConfigurationAggregator). moto replaced an existing
  aggregator's tags with the request's (none: all removed). Here an update keeps
  the aggregator's tags; TagResource / UntagResource change them.
* `AggregatorFilters` (ResourceType / ServicePrincipal filters) is stored and
  returned by DescribeConfigurationAggregators; moto dropped it. A put without it
  clears it, as the put replaces the aggregator's settings.
"""

from __future__ import annotations

import json
from typing import Any

from moto.config.responses import ConfigResponse

_orig_put_aggregator = ConfigResponse.put_configuration_aggregator


def put_configuration_aggregator(self: Any) -> str:
    params = json.loads(self.body or "{}")
    name = params.get("ConfigurationAggregatorName")
    existing = self.config_backend.config_aggregators.get(name)
    kept = dict(existing.tags) if existing is not None else None
    _orig_put_aggregator(self)
    aggregator = self.config_backend.config_aggregators[name]
    if kept is not None:
        aggregator.tags = kept
    aggregator.aggregator_filters = params.get("AggregatorFilters") or None
    return json.dumps({"ConfigurationAggregator": aggregator.to_dict()})


def apply() -> None:
    ConfigResponse.put_configuration_aggregator = put_configuration_aggregator

"""The product's own signals, as CloudWatch metrics in embedded metric format (Powertools Metrics).

Every metric carries the `service` dimension (the function's name, POWERTOOLS_SERVICE_NAME: a dozen
values); the few that say more carry one dimension from a closed set, so CloudWatch never sees an id,
a user or an organization as a dimension (each distinct combination is a metric billed on its own):

  ChangesRecorded      kind: status, work, queue, flag, next_status (contactcenter.agents.EntryKind)
  PushesDelivered, PushesGone, PushesFailed, CatchUpsServed
  ReportFilesWritten, ReportRowsWritten
  AuthorizerRefusals   rule: the refusal's rule name (a fixed set in code: token_invalid, unknown_client, ...)

Counts are added to the invocation's metric set and written once when the handler returns
(`@metrics.log_metrics`); dimensioned counts go out as their own EMF line at once. Locally, and in tests
that do not ask for them, POWERTOOLS_METRICS_DISABLED keeps them out of the terminal.
"""

from __future__ import annotations

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

# Namespace and service come from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME (infra sets
# both per function); every Metrics() shares one metric set per process.
metrics = Metrics()

CHANGES_RECORDED = "ChangesRecorded"
PUSHES_DELIVERED = "PushesDelivered"
PUSHES_GONE = "PushesGone"
PUSHES_FAILED = "PushesFailed"
CATCH_UPS_SERVED = "CatchUpsServed"
REPORT_FILES_WRITTEN = "ReportFilesWritten"
REPORT_ROWS_WRITTEN = "ReportRowsWritten"
AUTHORIZER_REFUSALS = "AuthorizerRefusals"

# The product's metric names, for the dashboard and tests (infra reads them).
PRODUCT_METRICS = (
    CHANGES_RECORDED,
    PUSHES_DELIVERED,
    PUSHES_GONE,
    PUSHES_FAILED,
    CATCH_UPS_SERVED,
    REPORT_FILES_WRITTEN,
    REPORT_ROWS_WRITTEN,
    AUTHORIZER_REFUSALS,
)


def count(name: str, value: float = 1) -> None:
    """Adds to this invocation's count of `name` (written when the handler returns)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_by(name: str, dimension: str, value: str, amount: float = 1) -> None:
    """A count with one bounded dimension, written at once as its own EMF line."""
    with single_metric(
        name=name, unit=MetricUnit.Count, value=amount, default_dimensions=metrics.default_dimensions
    ) as metric:
        metric.add_dimension(name=dimension, value=value)

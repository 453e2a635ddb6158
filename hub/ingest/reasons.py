"""Why a record or batch was rejected — the SDK's :class:`~connectors.sdk.records.Reason`, used by the hub.

Contract violations come from :func:`schemas.validation.validate_records` as ``FieldError`` s
and are converted 1:1; signature and mapping failures are raised as :class:`RecordRejected`
by the connector SDK. Reasons are stored with quarantine items and shown to integration
engineers, operators and congress staff alike, so they never contain the rejected value.
"""

from connectors.sdk.records import Reason, RecordRejected, reasons_to_json

__all__ = ["Reason", "RecordRejected", "reasons_to_json"]

"""The connector SDK: declare an agency's streams; the SDK does HTTP, retries, state and landing.

Import what a connector file needs from here::

    from connectors.sdk import ApiKeyHeader, Connector, NextCursor, Stream

and see ``docs/adding-a-connector.md``.
"""

from connectors.sdk.auth import ApiKeyHeader, HmacSigned, NoAuth, OAuth2ClientCredentials
from connectors.sdk.body_status import BodyStatus
from connectors.sdk.completeness import Total
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.defaults import ResourceDefaults
from connectors.sdk.http import RetryPolicy
from connectors.sdk.pagination import DirectoryListing, NextCursor, OffsetLimit, PageNumber
from connectors.sdk.rate_limit import RateLimit
from connectors.sdk.request_signing import SignedRequest, register_signer
from connectors.sdk.signatures import Ed25519Signed
from connectors.sdk.units import Quantity
from connectors.sdk.watermark import Watermark

__all__ = [
    "ApiKeyHeader",
    "BodyStatus",
    "Connector",
    "DirectoryListing",
    "Ed25519Signed",
    "HmacSigned",
    "NextCursor",
    "NoAuth",
    "OAuth2ClientCredentials",
    "OffsetLimit",
    "PageNumber",
    "Quantity",
    "RateLimit",
    "ResourceDefaults",
    "RetryPolicy",
    "SignedRequest",
    "Stream",
    "Total",
    "Watermark",
    "register_signer",
]

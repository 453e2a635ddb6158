"""The connector SDK: declare an agency's streams; the SDK does HTTP, retries, state and landing.

Import what a connector file needs from here::

    from connectors.sdk import ApiKeyHeader, Connector, NextCursor, Stream

and see ``docs/adding-a-connector.md``.
"""

from connectors.sdk.auth import ApiKeyHeader, HmacSigned, NoAuth, OAuth2ClientCredentials
from connectors.sdk.declarations import Connector, Stream
from connectors.sdk.defaults import ResourceDefaults
from connectors.sdk.http import RetryPolicy
from connectors.sdk.pagination import DirectoryListing, NextCursor, OffsetLimit, PageNumber
from connectors.sdk.rate_limit import RateLimit
from connectors.sdk.signatures import Ed25519Signed

__all__ = [
    "ApiKeyHeader",
    "Connector",
    "DirectoryListing",
    "Ed25519Signed",
    "HmacSigned",
    "NextCursor",
    "NoAuth",
    "OAuth2ClientCredentials",
    "OffsetLimit",
    "PageNumber",
    "RateLimit",
    "ResourceDefaults",
    "RetryPolicy",
    "Stream",
]

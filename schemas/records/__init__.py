"""Record models: one pydantic model per record kind, on a common envelope.

Look models up by kind through :mod:`schemas.registry`; import from here for typing.
"""

from schemas.records.agency import AgencyReceipt, AgencyReply, Attachment
from schemas.records.base import DOMAINS, RecordEnvelope
from schemas.records.court import CourtExecution, CourtFiling, CourtJudgment
from schemas.records.environment import EnvExceedance, EnvPenalty
from schemas.records.forestry import ForestryCase, ForestryRestoration
from schemas.records.market import MarketLicence, MarketPenalty, MarketSamplingFailure

__all__ = [
    "DOMAINS",
    "AgencyReceipt",
    "AgencyReply",
    "Attachment",
    "CourtExecution",
    "CourtFiling",
    "CourtJudgment",
    "EnvExceedance",
    "EnvPenalty",
    "ForestryCase",
    "ForestryRestoration",
    "MarketLicence",
    "MarketPenalty",
    "MarketSamplingFailure",
    "RecordEnvelope",
]

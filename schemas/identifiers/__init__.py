"""Validators for the identifiers agency data carries.

Each ``validate_*`` returns the normalised value (or parsed parts) and raises
:class:`schemas.errors.InvalidValue` with a stable code and Chinese/English messages.
One module per identifier; this package re-exports the public functions.
"""

from schemas.identifiers.case_number import CaseNumberParts, validate_case_number
from schemas.identifiers.credit_code import validate_credit_code
from schemas.identifiers.doc_number import DocNumberParts, validate_doc_number
from schemas.identifiers.id_number import IdNumberInfo, parse_id_number, validate_id_number
from schemas.identifiers.region import parent_codes, region_info, region_name, validate_region_code

__all__ = [
    "CaseNumberParts",
    "DocNumberParts",
    "IdNumberInfo",
    "parent_codes",
    "parse_id_number",
    "region_info",
    "region_name",
    "validate_case_number",
    "validate_credit_code",
    "validate_doc_number",
    "validate_id_number",
    "validate_region_code",
]

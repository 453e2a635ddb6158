"""Value parsers for dates, money and land area — the three value kinds every feed carries.

Each lives in its own module (:mod:`schemas.dates`, :mod:`schemas.money`,
:mod:`schemas.area`); this module is the one import point named in the contract.
"""

from schemas.area import parse_area_mu
from schemas.dates import excel_serial_to_date, parse_date
from schemas.money import parse_money_yuan

__all__ = ["excel_serial_to_date", "parse_area_mu", "parse_date", "parse_money_yuan"]

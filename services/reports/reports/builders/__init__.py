"""The reports, one module each, computed from the read models for a place and a period; the
counting rules they share are in `common`."""

from reports.builders.gaps import gaps
from reports.builders.kla import kla
from reports.builders.periodic import periodic
from reports.builders.pilot import pilot
from reports.builders.programme import programme
from reports.builders.referrals import referral_performance
from reports.builders.summary import summary

__all__ = ["gaps", "kla", "periodic", "pilot", "programme", "referral_performance", "summary"]

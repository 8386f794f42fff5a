"""Psychometrics of item sets: reliability, sampling adequacy, exploratory and confirmatory FA.

The names are imported from their modules on first use (PEP 562): a caller that needs only
the reliability coefficients does not pay for scipy.optimize and factor_analyzer (which
imports scikit-learn), about a second of start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.psychometrics.adequacy import (
        KMO,
        Bartlett,
        ParallelAnalysis,
        bartlett,
        kmo,
        parallel_analysis,
    )
    from analysis.psychometrics.cfa import CFAResult, cfa
    from analysis.psychometrics.factors import FactorSolution, efa
    from analysis.psychometrics.reliability import (
        Alpha,
        Omega,
        cronbach_alpha,
        item_statistics,
        omega,
    )

_MODULES = {
    "KMO": "adequacy",
    "Bartlett": "adequacy",
    "ParallelAnalysis": "adequacy",
    "bartlett": "adequacy",
    "kmo": "adequacy",
    "parallel_analysis": "adequacy",
    "CFAResult": "cfa",
    "cfa": "cfa",
    "FactorSolution": "factors",
    "efa": "factors",
    "Alpha": "reliability",
    "Omega": "reliability",
    "cronbach_alpha": "reliability",
    "item_statistics": "reliability",
    "omega": "reliability",
}

__all__ = [
    "KMO",
    "Alpha",
    "Bartlett",
    "CFAResult",
    "FactorSolution",
    "Omega",
    "ParallelAnalysis",
    "bartlett",
    "cfa",
    "cronbach_alpha",
    "efa",
    "item_statistics",
    "kmo",
    "omega",
    "parallel_analysis",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value

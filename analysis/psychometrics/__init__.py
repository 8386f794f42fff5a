"""Psychometrics of item sets: reliability, sampling adequacy, exploratory and confirmatory FA."""

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

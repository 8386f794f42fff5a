"""The independent district simulation of bench/causes_simulation.py (issue 14)."""

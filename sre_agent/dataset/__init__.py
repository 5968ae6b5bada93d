"""Benchmark datasets: a registry of known ones (``registry``), their download through the
Hugging Face Hub (``fetch``) and a check of the scenario folders they hold (``check``).
Used by ``python -m sre_agent dataset fetch NAME``.
"""

from .check import ScenarioCheck, check_scenario, check_tree, print_checks
from .fetch import FetchError, fetch
from .registry import DATASETS, DatasetSpec, get_dataset

__all__ = ["DATASETS", "DatasetSpec", "FetchError", "ScenarioCheck", "check_scenario", "check_tree", "fetch",
           "get_dataset", "print_checks"]

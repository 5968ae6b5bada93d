"""Known benchmark datasets: where each lives on the Hugging Face Hub, pinned to one revision.

A :class:`DatasetSpec` names the repository, its type, the pinned revision and the file patterns
that hold scenario folders, so ``dataset fetch NAME`` downloads exactly those files.  Add a dataset
by adding one entry to :data:`DATASETS`.

>>> spec = get_dataset("itbench-lite")
>>> spec.repo_id, spec.repo_type, spec.revision[:8]
('ibm-research/ITBench-Lite', 'dataset', 'd0916b08')
>>> spec.patterns(["2", "Scenario-5"])
['snapshots/sre/v0.2-*/Scenario-2/*', 'snapshots/sre/v0.2-*/Scenario-5/*']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError

__all__ = ["DatasetSpec", "DATASETS", "get_dataset"]


class DatasetSpec(BaseModel):
    """One downloadable dataset of scenario folders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    repo_id: str
    repo_type: str = "dataset"
    revision: str = Field(description="the pinned commit (or tag) downloaded unless --revision says otherwise")
    allow_patterns: tuple[str, ...] = Field(description="fnmatch patterns of the files to download")
    scenario_pattern: str = Field(description="pattern of one scenario's files; {scenario} is its folder name")
    license: str = ""
    description: str = ""

    def patterns(self, scenarios: Sequence[str] = ()) -> list[str]:
        """The download patterns: every scenario, or only the named ones (``2`` means ``Scenario-2``)."""
        if not scenarios:
            return list(self.allow_patterns)
        out = []
        for s in scenarios:
            name = s.strip()
            if re.fullmatch(r"\d+", name):
                name = f"Scenario-{name}"
            if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
                raise InputError(f"--scenario {s!r}: expected a scenario number or folder name such as Scenario-2")
            out.append(self.scenario_pattern.format(scenario=name))
        return out


#: name -> spec.  ITBench-Lite: the SRE snapshots of IBM Research's ITBench (Apache-2.0); the
#: repository also holds FinOps scenarios and other files, which the patterns leave out.
DATASETS: dict[str, DatasetSpec] = {
    "itbench-lite": DatasetSpec(
        name="itbench-lite",
        repo_id="ibm-research/ITBench-Lite",
        repo_type="dataset",
        revision="d0916b08ba421ce5e672e9ad68aa947d938dfef0",
        allow_patterns=("snapshots/sre/v0.2-*",),
        scenario_pattern="snapshots/sre/v0.2-*/{scenario}/*",
        license="Apache-2.0",
        description="ITBench-Lite SRE incident snapshots (IBM Research)",
    ),
}


def get_dataset(name: str) -> DatasetSpec:
    """The spec of a known dataset (:class:`~sre_agent.errors.InputError` naming the known ones)."""
    spec = DATASETS.get(name.strip().lower())
    if spec is None:
        raise InputError(f"unknown dataset {name!r}: known datasets are {', '.join(sorted(DATASETS))}")
    return spec

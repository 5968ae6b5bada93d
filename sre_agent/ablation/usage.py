"""What an ablation cost: model calls, unusable answers, tokens and money per profile × setting.

Read from ``results.csv`` (columns ``model_calls``, ``unusable_answers``, ``prompt_tokens``,
``completion_tokens``, ``cost_usd``: the tokens as the endpoint reported them, priced at the
profile's ``price_per_1k_prompt`` / ``price_per_1k_completion``).  A call answered from the disk
response cache is counted at the price it had when it was made, so the figures do not depend on
the cache; a re-run of a cached sweep costs nothing more.

Example:
    >>> rows = [{"profile": "p", "setting": "s", "model_calls": "3", "unusable_answers": "3", "incomplete": "1",
    ...          "prompt_tokens": "900", "completion_tokens": "60", "cost_usd": "0.01"}]
    >>> u = usage_cells(rows, ["p"], ["s"])[0]
    >>> u.runs, u.mean_model_calls, u.unusable_answers, u.cost_usd
    (1, 3.0, 3, 0.01)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    """Totals and means over the runs of one profile × setting."""

    profile: str
    setting: str
    runs: int
    mean_model_calls: float | None
    unusable_answers: int
    incomplete_share: float | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


def _num(v: str | None) -> float:
    return float(v) if v not in (None, "") else 0.0


def usage_cells(rows: Sequence[dict[str, str]], profiles: Sequence[str], settings: Sequence[str]) -> list[Usage]:
    """One :class:`Usage` per profile × setting."""
    out = []
    for p in profiles:
        for s in settings:
            sel = [r for r in rows if r["profile"] == p and r["setting"] == s]
            n = len(sel)
            out.append(Usage(
                p, s, n, sum(_num(r.get("model_calls")) for r in sel) / n if n else None,
                int(sum(_num(r.get("unusable_answers")) for r in sel)),
                sum(r.get("incomplete") == "1" for r in sel) / n if n else None,
                int(sum(_num(r.get("prompt_tokens")) for r in sel)), int(sum(_num(r.get("completion_tokens")) for r in sel)),
                round(sum(_num(r.get("cost_usd")) for r in sel), 6)))
    return out


def usage_section(cells: Sequence[Usage]) -> list[str]:
    """The report's markdown section (a table, one row per profile × setting)."""
    lines = ["## Model calls, tokens and cost", "",
             "| profile | setting | runs | model calls / run | unusable answers | incomplete % | prompt tokens "
             "| completion tokens | cost (USD) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for u in cells:
        calls = "–" if u.mean_model_calls is None else f"{u.mean_model_calls:.1f}"
        inc = "–" if u.incomplete_share is None else f"{100 * u.incomplete_share:.0f}"
        lines.append(f"| {u.profile} | `{u.setting}` | {u.runs} | {calls} | {u.unusable_answers} | {inc} | "
                     f"{u.prompt_tokens} | {u.completion_tokens} | {u.cost_usd:.4f} |")
    lines += ["", "Tokens as the model reported them (the offline profiles estimate them); cost at the profile's "
              "price per 1k prompt / completion tokens; an answer served from the response cache is counted "
              "at the price it had when it was made.", ""]
    return lines


__all__ = ["Usage", "usage_cells", "usage_section"]

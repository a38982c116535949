"""Calibrated confidence per field, and the review flag.

A value the model chose among options (an enum, a boolean, a field marked inferred) has
no place in the source to be found at: its confidence is the probability of the tokens
that chose it, discounted where the validators rejected it, never calibrated on copied
values.

A field's evidence is three things: how sure the model was of the tokens that
wrote the value (geometric mean probability), whether the value occurs verbatim
in the source, and whether the validators passed it. A logistic map fitted on a
validation split (``parser-service adapters calibrate``) turns the evidence into
the probability that the value is right; the fit is stored beside the plugin's
adapter as ``calibration.json``. Without a fit, a fixed rule combines the three.
A record with a field under the plugin's threshold is flagged for review.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

CALIBRATION_FILE = "calibration.json"
_EPS = 1e-4


@dataclass(frozen=True, slots=True)
class Evidence:
    token_prob: float | None  # None: no log-probabilities (the value was not decoded)
    verbatim: bool
    valid: bool
    prefilled: bool = False
    #: Chosen among options (an enum, a boolean, a field marked inferred), not copied.
    inferred: bool = False

    def features(self) -> list[float]:
        p = min(max(self.token_prob if self.token_prob is not None else 0.5, _EPS), 1 - _EPS)
        return [1.0, math.log(p / (1 - p)), float(self.verbatim), float(self.valid)]

    def raw_score(self) -> float:
        """The uncalibrated rule: token probability, discounted for a value not in the
        source or one the validators rejected."""
        if self.prefilled:  # token_prob: the splitter's confidence in the field's column
            return round((1.0 if self.token_prob is None else self.token_prob) * (1.0 if self.valid else 0.3), 4)
        if self.inferred:  # nothing to find in the text: the choice's own probability
            return round((self.token_prob if self.token_prob is not None else 0.5) * (1.0 if self.valid else 0.3), 4)
        p = self.token_prob if self.token_prob is not None else 0.5
        return round(p * (1.0 if self.verbatim else 0.5) * (1.0 if self.valid else 0.3), 4)


@dataclass(frozen=True, slots=True)
class Calibration:
    """``P(correct) = sigmoid(w · features)``; prefilled and inferred fields keep the fixed rule."""

    weights: tuple[float, ...]
    samples: int = 0
    ece_before: float | None = None
    ece_after: float | None = None

    def probability(self, evidence: Evidence) -> float:
        if evidence.prefilled or evidence.inferred:  # the fit is of copied values
            return evidence.raw_score()
        z = sum(w * x for w, x in zip(self.weights, evidence.features()))
        return round(1 / (1 + math.exp(-max(min(z, 30.0), -30.0))), 4)

    def save(self, folder: Path) -> Path:
        path = folder / CALIBRATION_FILE
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path | None) -> Calibration | None:
        path = folder / CALIBRATION_FILE if folder else None
        if path is None or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(data["weights"]), data.get("samples", 0), data.get("ece_before"), data.get("ece_after"))


def score(evidence: Evidence, calibration: Calibration | None) -> float:
    return calibration.probability(evidence) if calibration else evidence.raw_score()


def fit(evidence: Sequence[Evidence], correct: Sequence[bool], *, l2: float = 1.0, steps: int = 50) -> Calibration:
    """Logistic regression by Newton's method, with a small ridge so that a feature that
    never varies (all values verbatim, say) keeps a finite weight."""
    import numpy as np

    rows = [(e, c) for e, c in zip(evidence, correct) if not (e.prefilled or e.inferred)]
    if not rows:
        raise ValueError("no model-written fields to calibrate on")
    x = np.array([e.features() for e, _ in rows])
    y = np.array([float(c) for _, c in rows])
    w = np.zeros(x.shape[1])
    ridge = l2 * np.eye(x.shape[1])
    ridge[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + ridge @ w
        hessian = (x.T * (p * (1 - p))) @ x + ridge + 1e-9 * np.eye(x.shape[1])
        w -= np.linalg.solve(hessian, gradient)
    fitted = Calibration(tuple(round(float(v), 6) for v in w), len(rows))
    before = ece([e.raw_score() for e, _ in rows], [c for _, c in rows])
    after = ece([fitted.probability(e) for e, _ in rows], [c for _, c in rows])
    return Calibration(fitted.weights, len(rows), round(before, 4), round(after, 4))


def ece(probabilities: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: the gap between confidence and accuracy, averaged over
    equal-width confidence bins weighted by how many values fall in each."""
    if not probabilities:
        return 0.0
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [i for i, p in enumerate(probabilities) if low <= p < high or (b == bins - 1 and p == 1.0)]
        if members:
            confidence = sum(probabilities[i] for i in members) / len(members)
            accuracy = sum(1 for i in members if correct[i]) / len(members)
            total += len(members) * abs(confidence - accuracy)
    return total / len(probabilities)


def needs_review(confidence: dict[str, float], threshold: float) -> list[str]:
    """Fields whose confidence is below the plugin's threshold."""
    return sorted(name for name, value in confidence.items() if value < threshold)

"""Observability backends: a recorded snapshot, or live servers, behind one protocol."""

from .base import BackendUnavailable, ObservabilityBackend

__all__ = ["BackendUnavailable", "ObservabilityBackend"]

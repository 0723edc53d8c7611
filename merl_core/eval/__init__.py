"""Evaluation: zero-shot, linear probe, metrics, reports, evaluation sets and prompt tables."""

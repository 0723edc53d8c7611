"""Experiments that answer a question (not speed figures: those are in ``benchmarks/``)."""

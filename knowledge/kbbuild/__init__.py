"""Reviewable source of the ECG knowledge base; ``python -m knowledge.kbbuild.build`` emits it."""

"""Reviewable source of the ECG knowledge base; ``python -m knowledge.src.build`` emits it."""

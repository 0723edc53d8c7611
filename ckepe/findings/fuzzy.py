"""Misspelt words: propose the terminology's word for a word it does not know (rapidfuzz).

A proposal only rewrites the claim; the rewritten claim is then judged by the same rules as
any other, so a fuzzy match never verifies a claim by itself (and a misspelt false fact is
caught like the correctly spelt one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from ckepe.findings.lexicon import DIRECTION_WORDS, HEAD_WORDS, LEAD_KEY, PRE_NEGATION
from ckepe.grounding import STOP

MIN_LENGTH = 4
SCORE_CUTOFF = 75.0
"""rapidfuzz ``ratio`` (normalised Indel similarity, 0-100) a proposal must reach: one
transposition in a four-letter word ("mroe"/"more") scores 75."""
_EXTRA = """above below over under more less than longer shorter greater least most between
interval intervals segment segments wave waves complex complexes duration amplitude rate
rhythm regular irregular prolonged duration present absent absence without""".split()


def _plausible_typo(word: str, proposal: str) -> bool:
    """A typing slip, not another word: the same first letter (a prefix such as "non",
    "dis", "de", "in" or "bi" changes the meaning: "nonconducted" is no typo of
    "conducted", "depolarization" none of "repolarization") and at most one edit in a
    short word, two in a longer one (a transposition counts one); a short word is not
    taken for a shorter one."""
    if word[0] != proposal[0]:
        return False
    if len(word) <= 5 and len(proposal) < len(word):  # "Lown" is a name, not "low" mistyped
        return False
    return DamerauLevenshtein.distance(word, proposal) <= (1 if len(word) <= 5 else 2)


class Speller:
    """Proposes corrections from a fixed vocabulary."""

    def __init__(self, words: Iterable[str]) -> None:
        vocab = {w for w in words if w.isalpha() and len(w) >= 2}
        vocab |= set(STOP) | set(DIRECTION_WORDS) | set(HEAD_WORDS) | set(LEAD_KEY)
        vocab |= {w for cue in PRE_NEGATION for w in cue.split()} | set(_EXTRA)
        self.vocab = frozenset(vocab)
        self._choices = sorted(w for w in self.vocab if len(w) >= 3)

    def correct(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """The text with each unknown word replaced by its proposal, and the proposals."""
        changes: list[tuple[str, str]] = []

        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            low = word.lower()
            if len(low) < MIN_LENGTH or low in self.vocab or low.rstrip("s") in self.vocab:
                return word
            for cand, _score, _i in process.extract(
                low, self._choices, scorer=fuzz.ratio, score_cutoff=SCORE_CUTOFF, limit=5
            ):
                if _plausible_typo(low, cand):
                    changes.append((word, cand))
                    return str(cand)
            return word

        out = re.sub(r"(?<![\w'])[A-Za-z]+(?![\w'])", fix, text)
        return out, changes

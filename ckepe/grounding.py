"""Ground free clinical wording to terminology concepts (used by the audit).

Three layers, strongest first, each returning ranked candidate concepts:

1. the terminology's own index (exact term, synonym or ``normalize_term`` match);
2. a bag of canonical words: case, punctuation, plurals, hyphens and parentheses go; stop
   words, units, numbers and comparators go (numbers are compared separately, as numbers,
   by ``ckepe.criteria``); lead lists and lead groups become lead names ("inferior leads" =
   II, III, aVF; "V1-V3" = V1, V2, V3); clinical word variants share one form ("broad" =
   "wide", "inverted" = "inversion" = "negative", "ischaemic" = "ischemic"). A phrase whose
   words equal a term's, or are all inside a term's (a less specific statement of it, at
   least two words and half of the term), or contain a term plus only lead names, grounds;
3. the packaged sentence encoder (``ckepe.similarity``) ranks the remaining candidates.
   Its candidates are marked ``similarity`` and the audit never accepts them on similarity
   alone: the relation to the class must hold, numbers must agree and no polarity word may
   oppose the candidate's ("absent" vs "present", "regular" vs "irregular", ...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ckepe.criteria import Criterion, parse_criteria
from ckepe.normalize import normalize_term
from ckepe.terminology import GraphTerminology

LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
LEAD_GROUPS = {
    "high lateral": "i avl",
    "low lateral": "v5 v6",
    "lateral": "i avl v5 v6",
    "inferolateral": "ii iii avf v5 v6",
    "inferior": "ii iii avf",
    "septal": "v1 v2",
    "anteroseptal": "v1 v2 v3 v4",
    "anterior": "v3 v4",
    "anterolateral": "v3 v4 v5 v6 i avl",
    "right precordial": "v1 v2",
    "right chest": "v1 v2",
    "left precordial": "v5 v6",
    "left chest": "v5 v6",
}
STOP = frozenset(
    """a an the of in on at with and or to is are be by for as from into its their
this these there each both any also may can which that typically typical usually often seen
commonly frequently generally characteristic classic classical finding ecg ekg each every
all discernible identifiable distinct visible obvious clear apparent f
electrocardiographic electrocardiogram pattern segment interval complex lead leads evidence
presence sign signs than more less least most greater equal over under above below exceeding
longer shorter higher lower up between about around approximately per minute min bpm beat
beats ms msec millisecond milliseconds sec second seconds mv millivolt millivolts mm degree
degrees value values""".split()
)
_UNIT_AFTER_NUMBER = frozenset({"s", "sec", "mv", "mm", "ms"})
WORD_FORMS = {
    "broad": "wide",
    "widened": "wide",
    "widening": "wide",
    "width": "duration",
    "prolonged": "prolong",
    "prolongation": "prolong",
    "lengthened": "prolong",
    "lengthening": "prolong",
    "long": "prolong",
    "extended": "prolong",
    "extension": "prolong",
    "shortened": "short",
    "shortening": "short",
    "inverted": "inversion",
    "negative": "inversion",
    "invert": "inversion",
    "elevated": "elevation",
    "raised": "elevation",
    "depressed": "depression",
    "absence": "absent",
    "no": "absent",
    "missing": "absent",
    "lack": "absent",
    "without": "absent",
    "lacking": "absent",
    "loss": "absent",
    "ischaemic": "ischemic",
    "ischaemia": "ischemia",
    "notching": "notched",
    "notch": "notched",
    "slurring": "slurred",
    "slur": "slurred",
    "pathologic": "pathological",
    "peaking": "peaked",
    "irregularly": "irregular",
    "regularly": "regular",
    "dilatation": "enlargement",
    "dilation": "enlargement",
    "dilated": "enlargement",
    "enlarged": "enlargement",
    "contraction": "complex",
    "preceding": "before",
    "preceded": "before",
    "prior": "before",
    "not": "absent",
    "tachycardic": "tachycardia",
    "bradycardic": "bradycardia",
    "precordial": "chest",
    "atrioventricular": "av",
    "hr": "heart rate",
    "rr": "rr",
    "repolarisation": "repolarization",
    "depolarisation": "depolarization",
}
# Words whose presence in a phrase but opposite in a candidate term (or the reverse) forbid
# a similarity match: "present P waves" is close to "absent P waves" in embedding space.
POLARITY = (
    ("absent", "present"),
    ("absent", "normal"),
    ("regular", "irregular"),
    ("short", "prolong"),
    ("narrow", "wide"),
    ("left", "right"),
    ("elevation", "depression"),
    ("tall", "low"),
    ("tall", "small"),
    ("upright", "inversion"),
    ("fast", "slow"),
    ("tachycardia", "bradycardia"),
    ("complete", "incomplete"),
    ("anterior", "posterior"),
    ("anterior", "inferior"),
    ("clockwise", "counterclockwise"),
    ("sinus", "ectopic"),
    ("normal", "abnormal"),
    ("normal", "pathological"),
    ("normal", "prolong"),
    ("normal", "wide"),
)
_RANGE_LEADS = re.compile(r"\bv([1-6])\s*(?:-|–|to|through)\s*v?([1-6])\b")


@dataclass
class Grounding:
    """Where a phrase lands in the terminology."""

    concept_ids: list[str] = field(default_factory=list)
    how: str = "none"  # exact | words | partial | qualified | similarity | none
    score: float = 0.0
    criteria: list[Criterion] = field(default_factory=list)
    head: str | None = None  # a named concept inside the phrase, with other words around it
    extra: tuple[str, ...] = ()  # the phrase's words around that head


def _expand_leads(text: str) -> str:
    text = _RANGE_LEADS.sub(
        lambda m: (
            " ".join(f"v{i}" for i in range(int(m.group(1)), int(m.group(2)) + 1))
            if m.group(1) <= m.group(2)
            else m.group(0)
        ),
        text,
    )
    for group, leads in LEAD_GROUPS.items():
        text = re.sub(rf"\b{group}(?: chest| precordial| limb)? leads?\b", f" {leads} ", text)
    return text


@lru_cache(maxsize=65536)
def canonical_words(text: str) -> frozenset[str]:
    """The bag of canonical content words of a phrase (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = re.sub(r"\(([^()]*)\)", r" \1 ", t)
    t = re.sub(r"\bsaw[- ]tooth\b", "sawtooth", t)
    t = t.replace("r-r", "rr").replace("r r interval", "rr interval").replace("p-p", "pp")
    t = t.replace("′", "'").replace("’", "'").replace("st-t", "st t")
    t = re.sub(r"\brsr'|\brsr prime\b|\brsr\b", " rsr ", t)
    t = re.sub(r"\bqrs\s+(?:width|interval)\b", "qrs duration", t)
    t = _expand_leads(t)
    norm = normalize_term(t)
    out = set()
    prev_number = False
    for tok in norm.split():
        number = bool(re.fullmatch(r"[<>=+\-.\d]+|\d+(?:\.\d+)?[a-z]*", tok))
        skip = tok in STOP or number or (prev_number and tok in _UNIT_AFTER_NUMBER)
        prev_number = number
        if skip:
            continue
        for w in WORD_FORMS.get(tok, tok).split():
            if w not in STOP:
                out.add(w)
    return frozenset(out)


class Grounder:
    """Candidate concepts for a phrase, from a terminology's terms."""

    def __init__(self, term: GraphTerminology, similarity: object | None = None) -> None:
        self.term = term
        self.similarity = similarity
        self._bags: list[tuple[frozenset[str], str, str]] = []
        self._by_bag: dict[frozenset[str], list[str]] = {}
        for cid in term.concept_ids():
            c = term.get(cid)
            if c is None:
                continue
            for t in dict.fromkeys((c.fsn, *c.synonyms)):
                bag = canonical_words(t)
                if bag:
                    self._bags.append((bag, cid, t))
                    ids = self._by_bag.setdefault(bag, [])
                    if cid not in ids:
                        ids.append(cid)
        self._crit: dict[str, list[Criterion]] = {}
        self._vocab: dict[str, frozenset[str]] = {}
        for tb, cid, _t in self._bags:
            self._vocab[cid] = self._vocab.get(cid, frozenset()) | tb
        self._alts = {t: _alternatives(t) for _tb, _cid, t in self._bags}
        self._df: dict[str, int] = {}
        for words in self._vocab.values():
            for w in words:
                self._df[w] = self._df.get(w, 0) + 1

    def vocabulary(self, cid: str) -> frozenset[str]:
        """Every canonical word of a concept's terms."""
        return self._vocab.get(cid, frozenset())

    def closest_by_words(
        self, bag: frozenset[str], concept_ids: Iterable[str], k: int = 12
    ) -> list[str]:
        """The ``k`` concepts sharing the most specific words with ``bag`` (a word counts
        1/number of concepts using it, so "repolarization" outweighs "wave")."""
        scored = []
        for cid in dict.fromkeys(concept_ids):
            shared = bag & self.vocabulary(cid)
            if shared:
                scored.append((-sum(1.0 / self._df.get(w, 1) for w in shared), cid))
        return [cid for _, cid in sorted(scored)[:k]]

    def criteria_of(self, cid: str) -> list[Criterion]:
        """The numeric criteria stated in a concept's fully specified name."""
        if cid not in self._crit:
            self._crit[cid] = parse_criteria(self.term.fsn(cid))
        return self._crit[cid]

    def ground(self, text: str) -> Grounding:
        """Ranked candidates for ``text`` (layers 1 and 2; similarity via ``similar``)."""
        crit = parse_criteria(text)
        hits = self.term.find(text)
        if hits:
            return Grounding(hits, "exact", 1.0, crit)
        bag = canonical_words(text)
        if not bag:
            return Grounding([], "none", 0.0, crit)
        if bag in self._by_bag:
            return Grounding(list(self._by_bag[bag]), "words", 1.0, crit)
        partial: dict[str, float] = {}
        qualified: dict[str, float] = {}
        head: tuple[int, str, tuple[str, ...]] | None = None
        norm = normalize_term(text)
        for tb, cid, t in self._bags:
            if bag < tb and (tb - bag) <= self._alts[t]:  # one of "notched or slurred"
                qualified[cid] = max(qualified.get(cid, 0.0), len(bag) / len(tb))
            elif bag < tb and len(bag) >= 2 and 2 * len(bag) >= len(tb):
                partial[cid] = max(partial.get(cid, 0.0), len(bag) / len(tb))
            elif tb < bag:
                extra = bag - tb
                if all(w in LEADS or w in self._vocab[cid] for w in extra):
                    qualified[cid] = max(qualified.get(cid, 0.0), len(tb) / len(bag))
                elif (
                    len(tb) >= 2
                    and (head is None or len(tb) > head[0])
                    and norm.endswith(normalize_term(t))
                ):  # "<qualifiers> <a name>"
                    head = (len(tb), cid, tuple(sorted(extra)))
        for how, pool in (("qualified", qualified), ("partial", partial)):
            if pool:
                ids = sorted(pool, key=lambda c: -pool[c])
                return Grounding(ids, how, pool[ids[0]], crit)
        g = Grounding([], "none", 0.0, crit)
        if head:
            g.head, g.extra = head[1], head[2]
        return g

    def similar(self, text: str, candidates: Iterable[str], k: int = 5) -> list[tuple[str, float]]:
        """``candidates`` ranked by the sentence encoder, best first ([] without one)."""
        if self.similarity is None:
            return []
        return self.similarity.rank(text, candidates, k)  # type: ignore[attr-defined]


def _alternatives(term: str) -> frozenset[str]:
    """Words a phrase may leave out of a term: one side of each "A or B"."""
    toks = normalize_term(term).split()
    out: set[str] = set()
    for i, tok in enumerate(toks):
        if tok == "or" and 0 < i < len(toks) - 1:
            for w in (toks[i - 1], toks[i + 1]):
                out |= canonical_words(w)
    return frozenset(out)


def polarity_clash(a: Iterable[str], b: Iterable[str]) -> tuple[str, str] | None:
    """A pair of opposite words, one in each bag (None when they agree)."""
    sa, sb = set(a), set(b)
    for x, y in POLARITY:
        if (x in sa and y in sb and x not in sb and y not in sa) or (
            y in sa and x in sb and y not in sb and x not in sa
        ):
            return x, y
    return None

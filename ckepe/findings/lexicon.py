"""The words the finding parser knows: negation cues, leads, directions, attributes, and the
markers of placeholder and injected text. Clinical sources: lead groups from the AHA/ACCF/HRS
2009 recommendations part VI (S09); everything else is vocabulary, not a clinical fact."""

from __future__ import annotations

import re

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
LEAD_KEY = {lead.lower(): lead for lead in LEADS}
# Lead groups (S09: septal V1-V2, anterior V3-V4, lateral I, aVL, V5-V6, inferior II, III,
# aVF); "right precordial" V1-V2 (V3 is often added: the parser keeps V1-V3 for it, and a
# claim only has to overlap a criterion's leads, never equal them).
LEAD_GROUPS: dict[str, tuple[str, ...]] = {
    "high lateral": ("I", "aVL"),
    "low lateral": ("V5", "V6"),
    "inferolateral": ("II", "III", "aVF", "V5", "V6"),
    "anterolateral": ("V3", "V4", "V5", "V6", "I", "aVL"),
    "anteroseptal": ("V1", "V2", "V3", "V4"),
    "lateral": ("I", "aVL", "V5", "V6"),
    "inferior": ("II", "III", "aVF"),
    "septal": ("V1", "V2"),
    "anterior": ("V3", "V4"),
    "right precordial": ("V1", "V2", "V3"),
    "right chest": ("V1", "V2", "V3"),
    "right sided": ("V1", "V2", "V3"),
    "left precordial": ("V5", "V6"),
    "left chest": ("V5", "V6"),
    "left sided": ("V5", "V6"),
    "limb": ("I", "II", "III", "aVR", "aVL", "aVF"),
    "precordial": ("V1", "V2", "V3", "V4", "V5", "V6"),
    "chest": ("V1", "V2", "V3", "V4", "V5", "V6"),
}

# NegEx-style cues. PRE cues negate what follows them in the clause, POST cues what comes
# before ("P waves absent"). A pseudo-negation contains a cue but negates nothing.
PRE_NEGATION = (
    "no evidence of",
    "no sign of",
    "no signs of",
    "absence of",
    "absent",
    "lack of",
    "lacking",
    "free of",
    "negative for",
    "without",
    "never",
    "not",
    "no",
    "nor",
    "neither",
)
POST_NEGATION = ("absent", "not seen", "not present", "not found", "missing")
PSEUDO_NEGATION = (
    "not only",
    "not just",
    "not necessarily",
    "no longer",  # a statement of change, not of absence: left as content
    "without doubt",
    "no doubt",
    "not excluded",
    "not ruled out",
)

# Direction words: word → (axis, value). "normal" is a value on every axis.
DIRECTION_WORDS: dict[str, tuple[str, str]] = {}
for _axis, _value, _words in (
    ("deviation", "elevation", "elevation elevated elevations raised"),
    ("deviation", "depression", "depression depressed depressions"),
    ("amplitude", "high", "high increased tall large prominent dominant augmented giant big"),
    ("amplitude", "low", "low reduced decreased small diminished flat flattened attenuated"),
    (
        "duration",
        "prolonged",
        "prolonged prolongation long lengthened lengthening wide broad widened widening",
    ),
    ("duration", "short", "short shortened shortening"),
    ("duration", "normal", "narrow"),  # a narrow QRS is a normal one (< 120 ms, S06)
    ("timing", "premature", "premature early extrasystolic"),
    ("timing", "late", "late escape"),
    ("rate", "fast", "fast faster rapid tachycardia tachycardic accelerated"),
    ("rate", "slow", "slow slower bradycardia bradycardic"),
    ("polarity", "upright", "upright positive"),
    ("polarity", "inverted", "inverted inversion inversions negative"),
    ("regularity", "regular", "regular regularly fixed constant"),
    ("regularity", "irregular", "irregular irregularly vary varies varying variation variable"),
    ("side", "left", "left leftward"),
    ("side", "right", "right rightward"),
):
    for _w in _words.split():
        DIRECTION_WORDS[_w] = (_axis, _value)
NORMAL_PHRASES = ("within normal limits", "within normal range", "normal range", "normal")

# Attributes: what a finding measures. Checked on the prepared text in this order.
ATTRIBUTE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("axis", r"\baxis\b"),
    ("rsr", r"\brs ?r\b|\brsr\b|\brsr'|\bm shaped\b"),
    ("delta", r"\bdelta waves?\b|\bpre ?excitation\b"),
    ("flutter", r"\bflutter\b|\bsaw ?tooth\b"),
    ("fibrillation", r"\bfibrillat\w*\b"),
    ("pr", r"\bp[rq](?: interval| segment)?\b"),
    ("qt", r"\bqtc?\b|\bcorrected qt\b"),
    ("st", r"\bst\b|\bj ?point\b|\bst segment\b"),
    ("qrs", r"\bqrs\b|\bsokolow\b|\bcornell\b|\bvoltage\b|\bcomplex(?:es)?\b"),
    ("p", r"\bp waves?\b|\bp\b(?= (?:amplitude|duration|morphology))"),
    ("q", r"\bq waves?\b|\bqs\b|\bq\b(?= in\b)|\bqr\b"),
    ("r", r"\br waves?\b|\br/s\b|\br\b(?= (?:in\b|v[1-6]\b|avl\b|peak\b))|\br peak\b"),
    ("s", r"\bs waves?\b|\bs\b(?= (?:in\b|v[1-6]\b))"),
    ("t", r"\bt waves?\b|\bt\b(?= (?:inversion|wave))"),
    ("u", r"\bu waves?\b"),
    (
        "rate",
        r"\brate\b|\bhr\b|\bbpm\b|\bper min(?:ute)?\b|/ ?min\b|\btachycardi\w*|\bbradycardi\w*",
    ),
    ("rr", r"\brr\b|\bpp\b|\brhythm\b|\bintervals?\b(?= vary)"),
    ("beat", r"\bbeats?\b|\bcontractions?\b|\bpause\b|\bectopic\b|\bpremature\b|\bescape\b"),
)
# Attributes that name one finding on their own: agreeing on them is specific evidence.
SPECIFIC_ATTRIBUTES = frozenset({"rsr", "delta", "flutter", "fibrillation"})

# Words the clause splitter needs on both sides before it cuts at "and", "with", ",":
HEAD_WORDS = frozenset(
    """wave waves qrs st pr pq qt qtc rate rhythm interval intervals axis complex complexes
beat beats voltage amplitude pause block duration pattern segment index deviation
hypertrophy infarction fibrillation flutter tachycardia bradycardia elevation depression
inversion rsr rsr' r' qs delta hr activity spike spikes deflection deflections""".split()
)
SPLIT_WORDS = (
    "followed by",
    "associated with",
    "together with",
    "as well as",
    "with",
    "and",
    "but",
    "while",
    "plus",
)

PLACEHOLDERS = frozenset(
    """n/a na n.a. n.a tbd tba tbc todo to-do none null nil unknown unspecified pending
placeholder xxx xx ? ?? ??? etc etc. lorem ipsum dummy""".split()
) | {
    "not applicable",
    "not available",
    "to be determined",
    "to be added",
    "lorem ipsum",
    "insert text",
    "insert here",
    "fill in",
    "no data",
    "not known",
    "same as above",
}
PLACEHOLDER_TOKENS = re.compile(
    r"(?:^|[\s:(\[])(?:n/a|tbd|tba|tbc|todo|xxx|lorem|placeholder|\[\.\.\.\]|\.\.\.|…)"
    r"(?=$|[\s:)\].,;])",
    re.IGNORECASE,
)
INJECTION_PATTERNS = (
    r"\bignore\b",
    r"\bdisregard\b",
    r"\bforget\b",
    r"\binstructions?\b",
    r"\bsystem(?: prompt)?\s*:",
    r"\bsystem prompt\b",
    r"\bdeveloper mode\b",
    r"\bjailbreak\b",
    r"\byou (?:are|must|should|will|shall) ",
    r"\breveal\b",
    r"\bapi key\b",
    r"\bpassword\b",
    r"\bprint the\b",
    r"\bmark (?:every|all|this|each)\b",
    r"\banswer (?:verified|yes|true)\b",
    r"\bverified for all\b",
    r"<\s*/?\s*[a-z!]",
    r"javascript\s*:",
    r"https?://",
    r"\bwww\.",
    r"\{\{|\}\}",
    r"\bon(?:error|load)\s*=",
    r"\[/?inst\]",
    r"<\|[a-z_]+\|>",
    r"\bsay (?:verified|yes|true)\b",
    r"\boutput the\b",
)
INJECTION_RE = re.compile("|".join(INJECTION_PATTERNS), re.IGNORECASE)

"""Patients' everyday words for the FAQ topics, as extra features for the intent classifier.

"What's the damage", "will I be awake", "onset?", "weird reactions": patients rarely use the
topic's own keyword, and a classifier trained on a few hundred examples has not seen every lay
word. Each entry maps a family of lay phrasings to the keywords the training data uses for the
topic; the classifier reads the keywords next to the message's own words (in training and at
run time alike), so one lay phrase teaches every example of its topic. Entries are written from
how people talk, not from any test message."""

from __future__ import annotations

import re
from typing import List, Pattern, Tuple

LAY_TERMS: List[Tuple[str, str]] = [
    # cost
    (r"\bwhat'?s\s+the\s+damage\b|\bset\s+(?:me|you|us)\s+back\b|\bfees?\b|\bpric(?:e|ey|es|ing)\b"
     r"|\bout\s+of\s+pocket\b|\bafford\w*|\bballpark\b|\bbucks\b|\bpaying\b|\bcharges?\b|\bexpensive\b"
     r"|\bhow\s+much\s+(?:is|are|for)\s+(?:it|one|a|each)\b"
     r"|\b(?:shell|fork|cough)(?:ing|ed)?\s+(?:out|up)\b|\bhow\s+m(?:ch|uhc|utch|uc)\b"
     r"|\bhow\s+much\s+(?:per|a|each)\s+(?:session|infusion|visit|treatment)\b",
     "cost price"),
    # insurance
    (r"\binsurer\b|\bcoverage\b|\bcover(?:ed|s)?\s+(?:it|this|any|the)\b|\breimburs\w*|\bmoney\s+back\b|\bin-?network\b"
     r"|\bout-?of-?network\b|\bbenefits\b|\bmedicare\b|\bmedicaid\b|\btricare\b|\bbcbs\b|\bblue\s+cross\b"
     r"|\bgovernment\b.{0,20}\b(?:pay|cover|fund|subsid\w*)|\bbulk[\s-]?bill\w*|\bnhs\b|\brebates?\b|\bhealth\s+fund\b",
     "insurance cover"),
    # time to effect
    (r"\bonset\b|\bkicks?\s+in\b|\bstarts?\s+working\b|\btake\s+effect\b|\bhow\s+(?:fast|quick(?:ly)?|soon)\b"
     r"|\bnotice\s+(?:a|any)?\s*(?:change|difference|improvement)\b|\bfeel\s+(?:better|a\s+difference)\b",
     "how soon work"),
    # how long the relief lasts
    (r"\bwears?\s+off\b|\bdoes\s+it\s+stick\b|\bpermanent\w*\b|\bfades?\b|\btop[\s-]?ups?\b|\bboosters?\b"
     r"|\bmaintenance\b|\bhow\s+long\s+(?:does\s+)?(?:it|the\s+(?:relief|effect|benefit)s?)\s+last",
     "relief last wear off"),
    # length of one session
    (r"\bwhen\s+(?:do|can|will)\s+i\s+(?:get\s+out|leave|be\s+done)\b|\bin\s+and\s+out\b"
     r"|\bhow\s+long\s+(?:will\s+i\s+be|am\s+i)\s+there\b"
     r"|\bhow\s+long\s+(?:is|does)\s+(?:one|a|each|the)\s+(?:session|infusion|appointment|visit|treatment)\b",
     "how long one infusion session"),
    # number and rhythm of sessions
    (r"\bhow\s+often\b|\b(?:twice|once|\dx)\s+a\s+week\b|\bbunch\s+of\s+(?:them|sessions|visits)\b|\bseries\b"
     r"|\bone\s+(?:visit|session)\s+and\s+done\b|\brounds?\s+of\b|\bweekly\b|\bhow\s+many\s+times\b"
     r"|\bone\s+(?:visit|session|infusion|treatment)\s+(?:does\s+(?:it|the\s+job)|is\s+enough|enough)\b"
     r"|\bback\s+a\s+bunch\s+of\s+times\b",
     "how many sessions course"),
    # side effects
    (r"\bweird\s+(?:reactions?|feelings?|effects?)\b|\breactions?\b|\badverse\b|\bafter-?effects?\b"
     r"|\bhangover\b|\bwoozy\b|\bfeel\s+(?:funny|weird|strange|off|sick)\b|\bthrow\s+up\b|\bpuke\b|\bqueasy\b",
     "side effects"),
    # safety
    (r"\bdanger\w*\b|\brisky\b|\bharmful\b|\bhurt\s+me\b|\bbad\s+for\s+(?:me|you)\b"
     r"|\b(?:mess|screw)\s+(?:me|you|my\s+\w+)\s+up\b"
     r"|\bdo(?:es)?\s+(?:me\s+)?(?:any\s+|real\s+|lasting\s+|serious\s+)?(?:harm|damage)\b"
     r"|\b(?:main|the|any|what)\s+risks?\b",
     "safe risks"),
    # addiction
    (r"\bhooked\b|\baddict\w*|\bhabit[\s-]?forming\b|\bcrav\w+|\bdependen\w*|\bget\s+high\b",
     "addiction addictive"),
    # whether it works
    (r"\breal\s+deal\b|\bhype\b|\blegit\b|\bproven\b|\bsuccess\s+rates?\b"
     r"|\bactually\s+work|\breally\s+work|\bworth\s+it\b",
     "does it work effective"),
    # how it works
    (r"\bwhy\s+(?:would|does|do|should|can)\s+(?:an?\s+)?(?:\w+\s+){0,2}(?:fix|help|work|lift|cure)\b"
     r"|\bthe\s+logic\b|\bhow\s+come\s+it\s+(?:works|helps)\b|\bhow\s+it\s+works\b",
     "how does it work brain"),
    # what it is
    (r"\bhorse\s+tranq\w*|\bparty\s+drug\b|\bspecial\s+k\b|\braves?\b|\bclub\s+drug\b|\brepurposed\b|\banaesthetic\b",
     "what is ketamine anesthetic"),
    # dose
    (r"\bknock\s+(?:you|me)\s+out\b|\bmilligrams?\b|\bmg\b|\bstrength\b"
     r"|\bhow\s+much\s+(?:ketamine|of\s+it|do\s+you\s+give)\b",
     "dose"),
    # what a session is like
    (r"\bawake\b|\bconscious\b|\bhallucinat\w*|\bsee\s+things\b"
     r"|\bwhat'?s\s+it\s+like\b|\bwhat\s+(?:is|does)\s+it\s+feel\s+like\b"
     r"|\bsit\s+there\b|\blie\s+down\b|\btrippy\b|\btrip\b",
     "what happens during session feel"),
    # how it is given
    (r"\bneedles?\b|\bnose\s+spray\b|\bshots?\b|\binjections?\b|\bpill\s+form\b|\blozenges?\b|\broutes?\b"
     r"|\bthe\s+only\s+way\b|\bthrough\s+a\s+drip\b|\b(?:tablets?|pills?)\s+or\s+(?:shots?|injections?|drip|iv)\b",
     "iv nasal spray given"),
    # who qualifies
    (r"\bright\s+for\s+me\b|\bgood\s+fit\b|\bsomeone\s+like\s+me\b"
     r"|\bqualif\w*|\belig[ia]b\w*|\bassess?ment\b|\bscreening\b",
     "candidate qualify evaluation"),
    # conditions
    (r"\btrd\b|\btrauma\b|\bocd\b|\bwhat\s+(?:does|can)\s+it\s+(?:treat|help)\b",
     "conditions treated"),
    # compared with antidepressants
    (r"\bcompared?\s+(?:to|with)\b|\bversus\b|\bvs\.?\b|\bdifferent\s+from\b|\bpills\s+(?:didn'?t|don'?t|never)\s+work"
     r"|\b(?:normal|regular|usual|ordinary|standard)\s+(?:tablets|pills|meds|antidepressants)\b",
     "compared antidepressants"),
    # medications
    (r"\b(?:keep|stop|mix|combine|stay\s+on|come\s+off)\w*\b.{0,20}\bantidepress\w*"
     r"|\bclash\b|\bmix\s+with\b|\binteract\w*|\bpill\s+box\b"
     r"|\bwhat\s+i'?m\s+(?:already\s+)?taking\b|\bmy\s+(?:meds|pills)\b",
     "medications"),
    # contact
    (r"\bphone\s*#|\b(?:ur|your)\s+(?:phone|number)\b|\btelephone\b|\bget\s+hold\s+of\b|\breach\s+you\b"
     r"|\bwhere\s+(?:are|is)\s+(?:you|the\s+clinic|your)\b|\blocated\b|\bphone\s+number\b"
     r"|\bopening\s+hours\b|\bonline\b|\bvideo\s+call\b|\bzoom\b|\bvirtual\b|\btelehealth\b",
     "contact location hours phone"),
]

NOT_COVERED_TERMS: List[Tuple[str, str]] = [
    # questions the clinic's sources do not answer: the words its examples use
    (r"\bfast(?:ing)?\b.{0,20}\b(?:before|needed|first)\b|\bempty\s+stomach\b|\beat\s+before\b", "eat before fast"),
    (r"\b(?:letter|note|proof|paperwork|med(?:ical)?\s+cert\w*|sick\s+note)\b.{0,30}\b(?:work|employer|boss|hr|job)\b",
     "letter for work"),
    (r"\bgroup\s+(?:sessions?|therapy|treatment|setting)\b|\bin\s+(?:a\s+)?groups?\b", "group sessions"),
    (r"\b(?:research|clinical)\s+(?:trials?|studies|study)\b|\btrials?\b.{0,20}\bsign\s+up\b", "research trials"),
]
LAY_TERMS += NOT_COVERED_TERMS

COMPILED: List[Tuple[Pattern[str], str]] = [(re.compile(pattern), keywords) for pattern, keywords in LAY_TERMS]


def with_topic_keywords(text: str) -> str:
    """The (normalised) text followed by the keywords of every lay phrasing it contains."""
    extra = [keywords for pattern, keywords in COMPILED if pattern.search(text)]
    return f"{text} {' '.join(extra)}" if extra else text

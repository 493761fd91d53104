"""Personal medical questions go to a clinician, whatever topic the classifier reads.

"Is ketamine safe during pregnancy" read as `ask_safety` would get "generally considered safe":
reassurance where the answer depends on the patient's own situation. This step runs after the
classifier and, when a message names such a situation (pregnancy, heart disease, seizures,
psychosis in them or their family, bladder, liver or kidney problems, an age under 18 or over
75, a specific medication, their own alcohol or drug use, work or flying after a session, long-term
damage), turns the reading into `ask_personal_medical`, whose answer says a clinician must
assess it and how to ask one. The classifier's own reading stays in the parse data
(`medical_boundary.classified_as`). Conversation intents (booking, a person, thanks...) keep
their reading, and the crisis detector runs after this step, so a crisis still comes first.

Each concern is data: a phrase family, why it needs a clinician, and two messages it must catch
(tests/understanding/test_medical_boundary.py checks them).

A general question about lasting harm ("what are the long term side effects", "can ketamine
damage the bladder"), which names no situation of the writer's or of someone they speak for,
goes to the FAQ topic `ask_long_term_risks` instead: its answer says what the articles do and do
not say about lasting harm, that a clinician assesses each person, and to call 911 for anything
happening now. A concern's `general_intent` says where such a question goes; `general_only`, when
set, limits this to what it matches (the bladder, not the liver or kidneys)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Pattern, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from clinic.text import normalise
from components.text import left_alone, override_reading

PERSONAL_MEDICAL_INTENT = "ask_personal_medical"
LONG_TERM_RISKS_INTENT = "ask_long_term_risks"
DETECTION_KEY = "medical_boundary"
# Readings that are requests or conversation, not questions to answer: they keep their reading.
KEPT_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "book_appointment",
                "request_human", "cancel", "change_booking", "crisis", PERSONAL_MEDICAL_INTENT}

# Someone's own situation: the writer or a person they speak for.
WHO = r"(?:i|i'?m|im|i'?ve|ive|i'?d|me|my|mine|he|she|he'?s|she'?s|his|her|they|their|we|our)"
AGE_UNDER_18_OR_OVER_75 = r"(?:1[0-7]|7[6-9]|[89]\d|1[01]\d)"
NOT_AN_AGE = r"(?!\s*(?:%|percent|minutes?|mins?|hours?|hrs?|days?|weeks?|sessions?|infusions?|mg|dollars|\$))"
BRANDED_ANTIDEPRESSANTS = (r"(?:lexapro|escitalopram|zoloft|sertraline|prozac|fluoxetine|paxil|paroxetine|"
                           r"celexa|citalopram|wellbutrin|bupropion|effexor|venlafaxine|cymbalta|duloxetine|"
                           r"pristiq|trintellix|remeron|mirtazapine|trazodone|amitriptyline|nortriptyline)")
SUBSTANCES = (r"(?:alcohol|booze|beers?|wine|liquor|vodka|whiskey|weed|cannabis|marijuana|thc|edibles?|pot|"
              r"coke|cocaine|crack|meth|heroin|fentanyl|molly|mdma|ecstasy|shrooms|psilocybin|lsd|acid|kratom|"
              r"opioids?|painkillers|joints?|blunts?|gummies|thc\s+oil)")
# How often or how recently: use, not a question about a condition ketamine treats.
USE_MARKER = (r"(?:daily|every\s+(?:day|night|morning|evening|weekend)|most\s+(?:nights|days)|nightly|weekly|"
              r"last\s+(?:night|weekend|week)|this\s+morning|yesterday|recreationally|a\s+week\s+ago|"
              r"\d+\s*mg|(?:\d+|once|twice|a\s+few|few)\s+(?:times\s+)?(?:a|per)\s+(?:day|night|week|month))")


@dataclass(frozen=True)
class Concern:
    name: str
    pattern: str
    why: str
    examples: Tuple[str, str]
    # When set: the message must also match `requires`, and must not match `unless`.
    requires: str = ""
    unless: str = ""
    # When set: a message that names no situation of its writer's (PERSONAL) goes to this intent.
    general_intent: str = ""
    general_only: str = ""


# A situation of the writer's own, or of someone they speak for: a person, a message opening without
# its "I" ("have bladder problems"), or a condition they have or had ("already", "diagnosed",
# "overactive bladder", "kidney stones").
PERSONAL = (rf"\b{WHO}\b|^(?:have|has|had|got)\b"
            r"|\b(?:already|diagnos\w*|history|overactive|stones?|disease|infections?|transplant|carrier|condition|ago"
            r"|mi|mis|su|sus|mein\w*|mon|ma|mes)\b")

CONCERNS: List[Concern] = [
    Concern("pregnancy",
            r"\bpregnan\w*|\bbreast\s?-?feed\w*|\bnursing\s+(?:my\s+|a\s+)?(?:baby|infant|newborn)|\bbreast\s?milk"
            r"|\btrying\s+(?:to\s+)?(?:conceive|get\s+pregnant|for\s+a\s+baby)|\bttc\b|\bexpecting\s+(?:a\s+)?baby"
            r"|\bconceiv\w*|\bivf\b|\begg\s+retrieval|\btrimester|\b\d{1,2}\s+weeks\s+along|\bmissed\s+my\s+period"
            r"|\bpositive\s+(?:pregnancy\s+)?test|\b(?:nurse|nursing)\s+(?:my\s+)?(?:baby|twins|son|daughter|newborn)"
            r"|\bstill\s+nursing|\bpump(?:ing)?\s+(?:breast\s?milk|milk|for\s+my\s+baby)"
            r"|\bthrow(?:ing)?\s+out\s+the\s+milk|\bwomb\b|\bunborn\b|\bstart(?:ing)?\s+a\s+family\b"
            r"|\b(?:i'?m|im|i\s+am)\s+nursing\b|\bpump\s+and\s+dump\b"
            r"|\bembarazad\w*|\blactancia|\bamamant\w*|\bschwanger\w*|\bstillen\b|\benceinte|\ballait\w*"
            r"|\bgr[aá]vid\w*",
            "no article covers pregnancy or breastfeeding; only a clinician can weigh it",
            ("is ketamine safe during pregnancy", "i'm breastfeeding my 3 month old, can i still get infusions")),
    Concern("heart",
            r"\bheart\s+(?:attacks?|disease|condition|problems?|issues?|failure|surgery|murmur|rhythm|thing|valve)"
            r"|\b(?:arrhythmia|a-?fib|atrial\s+fibrillation|pacemaker|stents?|angina|tachycardia|cardiomyopathy)\b"
            r"|\bhypertensi\w*|\bstrokes?\b|\bbypass\s+surgery|\bcardiac\b|\bcardiologist"
            rf"|\b{WHO}\b.{{0,40}}\bhigh\s+(?:blood\s+pressure|bp)\b"
            r"|\bhigh\s+(?:blood\s+pressure|bp)\s+(?:meds|medication|pills)"
            r"|\bblood\s+pressure\s+(?:meds|medications?|pills|tablets)"
            r"|\b(?:herz\w*|coraz[oó]n|c[oœ]ur|cora[cç][aã]o)\b"
            r"|\b(?:blood\s+pressure|bp)\s+(?:is|runs|has\s+been|was|gets)\s+(?:\w+\s+)?"
            r"(?:high|elevated|through\s+the\s+roof)"
            r"|\bhigh\s+(?:blood\s+pressure|bp)\b.{0,30}\b(?:on\s+meds|\d{3}\s*/\s*\d{2,3})|\b1\d{2}\s*/\s*\d{2,3}\b"
            r"|\bpalpitations|\bpvcs?\b|\bskipped\s+beats|\blong\s+qt\b|\btia\b|\bmini[\s-]?stroke|\bheart\s+defect"
            r"|\binfarto|\bbluthochdruck|\bhipertensi[oó]n|\bamlodipine|\blisinopril|\bramipril|\bmetoprolol"
            r"|\bbeta[\s-]?blockers?|\bbp\s+(?:meds|pills|medication)",
            "the articles say ketamine can raise heart rate and blood pressure",
            ("i had a heart attack two years ago, can i still do this", "my blood pressure is high, is that a problem"),
            # "the quote nearly gave me a heart attack": a figure of speech.
            unless=r"\b(?:gave|give|gives|giving)\s+me\s+a\s+heart\s+attack\b"),
    Concern("seizures",
            r"\bseizures?\b|\b[eé]pilep\w*|\bconvulsions?\b"
            r"|\bkrampfanf[aä]ll\w*|\bconvulsiones\b|\bcrises?\s+d'[eé]pilep",
            "a neurological condition needs an individual assessment",
            ("i have epilepsy, is ketamine safe for me", "had a seizure last year, does that rule me out")),
    Concern("psychosis",
            r"\bschizo\w*|\bpsychos[ie]s\b|\bpsychotic\b|\bhear(?:ing)?\s+voices\b|\bvoices\s+in\s+my\s+head\b"
            r"|\bmanic\b|\bmania\b|\bdelusion\w*"
            rf"|\b{WHO}\b.{{0,30}}\b(?:have|has|had|get|gets|see|sees)\s+hallucinations\b"
            r"|\bsquizofren\w*|\besquizofren\w*|\bschizophren\w*|\bpsicosis\b|\bhypomani\w*"
            r"|\b(?:see|seeing|hear|hearing)\s+(?:\w+\s+){0,3}(?:that\s+)?"
            r"(?:aren'?t|arent|isn'?t|are\s+not)\s+(?:there|real)\b",
            "the articles say ketamine may worsen psychosis",
            ("my brother has schizophrenia, can i still get ketamine",
             "i was psychotic once after weed, is this safe")),
    Concern("organs",
            r"\bbladder\b|\burinary\b|\buti'?s?\b|\bkidneys?\b|\brenal\b|\bliver\b|\bhepatitis\b|\bcirrhosis\b"
            r"|\bdialysis\b|\bpee(?:ing)?\s+(?:blood|problems|issues|a\s+lot)|\bh[ií]gado\b|\bleber\b|\bniere\w*"
            r"|\bprostate\b|\btrouble\s+(?:peeing|urinating)|\burin(?:e|ating)\b|\burolog\w*|\bcystitis\b|\bcatheter\b",
            "organ problems change what is safe and no article covers them",
            ("can it cause bladder damage long term", "i have fatty liver disease, can i do the infusions"),
            general_intent=LONG_TERM_RISKS_INTENT, general_only=r"\bbladder\b|\burinary\b"),
    Concern("age",
            r"\b(?:i'?m|im|i\s+am|i'?m\s+only|turning|turned|aged?|age)\s+(?:only\s+)?"
            rf"{AGE_UNDER_18_OR_OVER_75}\b{NOT_AN_AGE}"
            r"|\b(?:my\s+\w+|our\s+\w+|he|she|they)\s*(?:is|'s|just\s+turned|turns|turned)\s+"
            rf"{AGE_UNDER_18_OR_OVER_75}\b{NOT_AN_AGE}"
            rf"|\b{AGE_UNDER_18_OR_OVER_75}\s*(?:years?|yrs?)[\s-]*old\b"
            rf"|\b{AGE_UNDER_18_OR_OVER_75}\s*(?:yo|y/o|y\.o\.)\b"
            r"|\bmy\s+(?:\w+\s+)?(?:teen|teenager|teenaged|teenage\s+\w+|kid|child|minor)\b(?!'s)(?!\s+was\s+born)"
            r"|\b(?:i'?m|im|i\s+am)\s+(?:a\s+)?(?:teen\w*|minor|underage|under\s*18|in\s+high\s+school)\b"
            r"|\bin\s+(?:my|his|her)\s+(?:late\s+)?(?:seventies|70s|80s|eighties|90s|nineties)\b"
            r"|\b(?:elderly|senior\s+citizen)\b|\b(?:tengo|hab[eé]|ich\s+bin|j'ai)\s+(?:1[0-7]|7[6-9]|[89]\d)\b"
            rf"|\b(?:son|daughter|kid|child|mom|mum|mother|dad|father|grandma|grandpa|grandmother|grandfather|nan|gran"
            rf"|tochter|sohn|mutter|vater|hija|hijo|madre|padre|filha|filho|m[aã]e|pai)\s+(?:is|ist|tiene|tem|'s)\s+"
            rf"{AGE_UNDER_18_OR_OVER_75}\b{NOT_AN_AGE}|\b(?:teen|teenager|minor)\s+here\b|\bturn(?:ing)?\s+18\s+in\b",
            "treatment under 18 or over 75 needs a clinician's decision",
            ("im 17 can i get this", "my mother is 82, could she have the infusions"),
            requires=r"\b(?:can|could|would|get|do|have|treat\w*|qualif\w*|allowed|old\s+enough"
                     r"|too\s+(?:old|young)|safe|ok|okay|fine|eligible|option|rule|age|risk\w*|start|wait|see"
                     r"|behandeln|puede|pode|peut)\b"),
    Concern("medications",
            r"\blithium\b|\bmaois?\b|\bmao\s+inhibitors?|\bphenelzine|\bnardil|\bparnate|\btranylcypromine|\bselegiline"
            r"|\bemsam\b|\bmarplan|\bbenzos?\b|\bbenzodiazepines?|\bxanax|\balprazolam|\bklonopin|\bclonazepam|\bativan"
            r"|\blorazepam|\bvalium|\bdiazepam"
            r"|\badderall|\bvyvanse|\britalin|\bconcerta|\bmethylphenidate|\bstimulants?\b"
            r"|\boxycodone|\boxycontin|\bpercocet|\bhydrocodone|\bvicodin|\btramadol|\bmorphine|\bmethadone|\bsuboxone"
            r"|\bbuprenorphine|\bnaltrexone|\bvivitrol|\blamotrigine|\blamictal|\bseroquel|\bquetiapine|\babilify"
            r"|\baripiprazole|\bantipsychotics?|\bmood\s+stabili[sz]ers?|\bgabapentin|\btopamax|\bwarfarin|\beliquis"
            r"|\bblood\s+thinners?|\bwater\s+pills?|\bnerve\s+pills?|\bsleeping\s+pills?|\bambien|\blitio\b"
            r"|\bxarelto|\bplavix|\bclopidogrel|\bphentermine|\bmethimazole|\blevothyroxine|\bsynthroid",
            "a named medication's interactions need the prescriber's and clinician's review",
            ("does ketamine interact with lithium", "i take klonopin every night, is that a problem"),
            unless=r"\b(?:refill|prescri\w+|get\s+\w+\s+from\s+you|buy|sell|category|class|type\s+of)\b"),
    Concern("antidepressant_in_use",
            rf"\b{BRANDED_ANTIDEPRESSANTS}\b\s*(?:\d+\s*(?:mg|xl|xr|er)?|user|together|now)\b"
            rf"|\b{BRANDED_ANTIDEPRESSANTS}\s+(?:and|w/?|with)\s+ketamine\s+"
            r"(?:together|safe|ok|okay|fine|interact\w*|mix\w*)"
            rf"|\b(?:keep|stop|keeping|stopping|taper\w*|come\s+off|go\s+off)\s+(?:taking\s+)?(?:the\s+|my\s+)?"
            rf"{BRANDED_ANTIDEPRESSANTS}\b|\b(?:on|taking|take|takes|prescribed|using|started|been\s+on|still\s+on)\s+"
            rf"(?:\w+\s+){{0,3}}?{BRANDED_ANTIDEPRESSANTS}\b|\bmy\s+{BRANDED_ANTIDEPRESSANTS}\b"
            rf"|\b{BRANDED_ANTIDEPRESSANTS}\b.{{0,40}}\b(?:i'?m\s+on|im\s+on|i\s+take|i'?m\s+taking|i\s+am\s+on)",
            "whether to keep a named antidepressant alongside ketamine is the prescriber's and clinician's call",
            ("i'm on lexapro, can i still do it", "zoloft and ketamine together safe?"),
            unless=r"\b(?:differ\w*|diff?e?rent|compar\w*|versus|vs\.?"
                   r"|better\s+than|worse\s+than|faster\s+than|sets?\s+(?:it|them)\s+apart"
                   r"|same\s+as|any\s+different|instead\s+of)\b"),
    Concern("substance_use",
            rf"\b{WHO}\b.{{0,30}}\b(?:drink(?:s|ing)?|smoke[sd]?|smoking|vape|vaping|use[sd]?|using|do|does|doing|did|"
            rf"took|had|on)\b.{{0,25}}\b{SUBSTANCES}"
            rf"|\b{SUBSTANCES}.{{0,30}}\b{USE_MARKER}\b|\b{USE_MARKER}\b.{{0,30}}\b{SUBSTANCES}"
            r"|\b(?:heavy\s+)?drinker\b|\b(?:meth|heroin|coke|cocaine|opioid|drug)\s+user\b|\btrinke\b|\bbebo\b"
            r"|\b(?:i|i\s+still|i\s+sometimes)\s+(?:do|use|snort)\s+(?:k|ket)\b"
            rf"|\b{SUBSTANCES}\b.{{0,30}}\b(?:before|after|while|during|on\s+the\s+(?:day|night))\b.{{0,25}}"
            r"\b(?:ketamine|infusions?|sessions?|treatments?|it|therapy)\b"
            r"|\b(?:i'?m|im|i\s+am)\s+(?:an?\s+)?(?:alcoholic|addict|recovering\s+\w+|in\s+recovery|sober|clean)\b"
            rf"|\b{WHO}\b.{{0,20}}\b(?:drinking|alcohol|drug|substance)\s+(?:problem|issue|habit)\b",
            "their own alcohol or drug use changes what is safe",
            ("can i drink alcohol after an infusion", "i smoke weed most nights, is that a problem for ketamine"),
            # "Is it used for addiction?" asks which conditions it treats.
            # ... nor "can people get addicted to it?", which asks about addiction in general.
            unless=r"\b(?:used\s+(?:for|to\s+treat)|treat(?:s|ed|ing)?|help\s+(?:with|for))\b.{0,30}"
                   r"\b(?:addiction|alcoholism|use\s+disorder|dependence)"
                   r"|\b(?:can|could|do|does|will|would)\s+(?:people|anyone|someone|patients|one|you)\s+"
                   r"(?:get|become|end\s+up)\s+(?:addicted|hooked|dependent)"),
    # Driving home and operating machinery afterwards are the clinic's practical policy
    # (`ask_getting_home`, answered from the clinic profile); going back to work or flying is not.
    Concern("work_after",
            r"\b(?:can|could|should|may|will)\s+i\s+(?:still\s+)?(?:go\s+(?:ba?c?k\s+)?to\s+work|work)\b"
            r"|\bba?c?k\s+to\s+(?:work|the\s+office|my\s+(?:shift|job))|\b(?:fly|flying)\s+after\b|\bpilot\b"
            r"|\b(?:still|then)\s+work\b|\b(?:night|day|next)\s+shifts?\s+(?:after|right\s+after|that|the\s+same)"
            r"|\b(?:right\s+)?before\s+(?:my|a|the)\s+(?:night\s+|day\s+|next\s+|work\s+)?shifts?\b",
            "when it is safe to work or fly depends on the patient and the dose",
            ("can i go back to work after the infusion", "i'm a pilot, how soon after a session can i fly")),
    Concern("long_term_damage",
            r"\blong[\s-]?term\b.{0,40}\b(?:damage|side[\s-]?effects?|effects?|risks?|harm|problems?|consequences)\b"
            r"|\b(?:damage|side[\s-]?effects?|harm)\b.{0,40}\blong[\s-]?(?:term|run)\b"
            r"|\b(?:memory|brain|cognitive)\s+(?:damage|loss|problems?|issues?)\b|\bbrain\s+damage\b"
            r"|\bmemory\b.{0,30}\b(?:worse|damage\w*|long[\s-]?(?:term|run))\b"
            r"|\b(?:fry|rot|damage|hurt|ruin|wreck|destroy|mess\w*\s+(?:up|with))\w*\s+(?:my|your|the)\s+"
            r"(?:brain|memory|bladder)\b",
            "the articles disagree on long-term effects; a clinician weighs them for the patient",
            ("what are the long term side effects", "will it mess up my memory, like memory loss"),
            general_intent=LONG_TERM_RISKS_INTENT),
    Concern("other_condition",
            r"\bglaucoma\b|thyroid\w*|\bhashimoto|\bgraves'?\s+disease|\bpots\b|\bsleep\s+apnea\b"
            r"|\b(?:i|i'?m|im|i'?ve|ive|i\s+have|my)\b.{0,30}\b(?:eating\s+disorder|anorexi\w*|bulimi\w*)"
            r"|\b(?:eating\s+disorder|anorexi\w*|bulimi\w*)\b.{0,30}"
            r"\b(?:i\s+have|i'?ve\s+had|i'?m\s+recovering|for\s+\d+\s+years)"
            r"|\bbrain\s+injur\w*|\btbi\b|\bconcussion|\baneurysm|\bdementia\b|\bparkinson\w*|\bchemo\w*"
            r"|\bporphyria\b|\bdiabet\w*|\bcopd\b|\bhigh\s+eye\s+pressure",
            "another condition needs an individual assessment",
            ("i have glaucoma, is ketamine ok for me", "does my thyroid problem matter for the infusions"),
            unless=r"\b(?:used\s+(?:for|to\s+treat)|treat(?:s|ed)?\s+(?:those|that|it|eating|anorexia|bulimia))\b"),
]


@dataclass(frozen=True)
class Finding:
    concern: str
    matched: str
    # The intent the message goes to: the clinician's answer, or a general question's FAQ topic.
    intent: str = PERSONAL_MEDICAL_INTENT

    def as_dict(self) -> Dict[str, str]:
        return {"concern": self.concern, "matched": self.matched}


class MedicalBoundaryRules:
    """The concerns, compiled once; pure, so that they can be tested on their own."""

    def __init__(self, concerns: List[Concern] = CONCERNS) -> None:
        self.compiled: List[Tuple[str, Pattern[str], Optional[Pattern[str]], Optional[Pattern[str]]]] = [
            (c.name, re.compile(c.pattern), re.compile(c.requires) if c.requires else None,
             re.compile(c.unless) if c.unless else None)
            for c in concerns
        ]
        self.general = {c.name: (c.general_intent, re.compile(c.general_only) if c.general_only else None)
                        for c in concerns if c.general_intent}
        self.personal = re.compile(PERSONAL)

    def find(self, text: str) -> Optional[Finding]:
        message = normalise(text)
        for name, pattern, requires, unless in self.compiled:
            found = pattern.search(message)
            if found and (requires is None or requires.search(message)) and not (unless and unless.search(message)):
                return Finding(name, found.group(0), self._intent(name, found.group(0), message))
        return None

    def _intent(self, concern: str, matched: str, message: str) -> str:
        general_intent, only = self.general.get(concern, ("", None))
        if general_intent and (only is None or only.search(matched)) and not self.personal.search(message):
            return general_intent
        return PERSONAL_MEDICAL_INTENT


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MedicalBoundaryDetector(StatelessComponent):
    def __init__(self, config: Dict[Text, Any]) -> None:
        self.rules = MedicalBoundaryRules()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            # A named concern outweighs an unsure crisis reading; the crisis patterns still run after.
            finding = None if left_alone(message, KEPT_INTENTS, unsure_crisis_too=False) \
                else self.rules.find(message.get(TEXT) or "")
            if finding is not None:
                classified_as = (message.get(INTENT) or {}).get("name")
                override_reading(message, finding.intent, DETECTION_KEY,
                                 {**finding.as_dict(), "classified_as": classified_as})
        return messages

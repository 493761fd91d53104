"""Crisis detection that runs on every message after intent classification.

Curated patterns (suicide, self-harm, overdose, plans and means, emergencies, third person,
slang and misspellings) and the classifier's own `crisis` reading decide together. On a hit
the intent becomes `crisis` with confidence 1.0 and the message records which rule fired
(`crisis_detection` in the parse data). A message the classifier reads as a crisis (its top
intent, or a crisis score above the threshold) stays one unless it is plainly a question about
treatment or past history, a figure of speech ("this form is killing me") or an explicit
denial ("I'm not suicidal"); then the classifier's next reading answers it. So "can ketamine
help with suicidal thoughts" stays `ask_conditions_treated`, while the same words with "I've
been having..." are a crisis.

Patterns are deliberately broad: a false alarm costs a visitor one extra paragraph of
crisis resources, a miss can cost a life.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Pattern, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.payload_guard import TYPED_COMMAND
from components.stateless import StatelessComponent
from components.text import normalise, override_reading, top_reading, without_accents

CRISIS_INTENT = "crisis"
# The least crisis probability at which an unsure first reading of crisis still counts.
UNSURE_CRISIS_FLOOR = 0.35
# ...and for a message that asks something (a long story ending in a question about the topics).
UNSURE_CRISIS_FLOOR_QUESTION = 0.5
MIN_WORDS_FOR_AN_UNSURE_READING = 4
DETECTION_KEY = "crisis_detection"

# Building blocks. "self" covers myself, my self, meself, himself, herself, themselves...
SELF = r"(?:my\s?self|me\s?self|myslef|mysefl|my\s?selfe|him\s?self|her\s?self|them\s?sel(?:f|ves)|ur\s?self|yourself)"
SOMEONE = r"(?:he|she|they|my\s+\w+(?:\s+\w+)?|someone|somebody|friend|partner|son|daughter|wife|husband|mum|mom|dad|brother|sister)"
KILL = r"(?:kill|kil|kll|killl|murder)"
DIE = r"(?:die|dye(?!\s+(?:\w+\s+)?hair)|dead|be\s+dead|not\s+(?:be\s+)?(?:alive|here|around)|not\s+exist|disappear\s+forever|stop\s+existing)"
PILLS = (r"(?:pills?|meds|medications?|tablets?|tylenol|paracetamol|panadol|acetaminophen|ibuprofen|advil|aspirin|sleeping\s+pills"
         r"|xanax|valium|diazepam|klonopin|ativan|benzos?|codeine|tramadol|oxy\w*|insulin)")

# Death wishes and overdoses in the languages patients write in besides English, matched on the
# text without accents ("chcę umrzeć" as "chce umrzec"), one language per line. Mentions of
# suicide as a topic ("¿sirve para pensamientos suicidas?") are left to the classifier.
OTHER_LANGUAGE_CRISIS: List[Tuple[str, str]] = [
    ("spanish", r"\b(?:quiero\s+(?:matarme|morir(?:me)?|suicidarme|desaparecer\s+para\s+siempre)|me\s+quiero\s+(?:matar|morir|suicidar)"
                r"|no\s+quiero\s+(?:vivir|seguir\s+viviendo|seguir\s+aqui|estar\s+viv[oa]|despertar)|me\s+voy\s+a\s+(?:matar|suicidar)"
                r"|suicidarme|quitarme\s+la\s+vida|acabar\s+con\s+mi\s+vida|ganas\s+de\s+morir(?:me)?|estarian\s+mejor\s+sin\s+mi"
                r"|(?:tome|me\s+tome|me\s+he\s+tomado)\s+(?:todas\s+(?:las|mis)|un\s+frasco\s+de)\s+(?:pastillas|pildoras))"),
    ("french", r"\b(?:je\s+veux\s+(?:mourir|me\s+tuer|en\s+finir|me\s+suicider)|envie\s+de\s+(?:mourir|me\s+tuer|en\s+finir|me\s+suicider)"
               r"|me\s+suicider|en\s+finir\s+avec\s+(?:la\s+vie|ma\s+vie|tout)|mettre\s+fin\s+a\s+(?:mes\s+jours|ma\s+vie)"
               r"|(?:je\s+ne\s+veux\s+plus|plus\s+envie\s+de)\s+vivre|(?:j'?ai|jai)\s+(?:pris|avale)\s+(?:tous|toutes)\s+(?:mes|les)\s+"
               r"(?:medicaments|cachets|pilules|comprimes))"),
    ("german", r"\b(?:ich\s+will\s+(?:nicht\s+mehr\s+leben|sterben|mich\s+umbringen|tot\s+sein)|mich\s+umbringen|mir\s+das\s+leben\s+nehmen"
               r"|(?:will|mochte|moechte)\s+nicht\s+mehr\s+(?:leben|da\s+sein|aufwachen)|lebensmude|(?:alle|meine)\s+tabletten\s+"
               r"(?:genommen|geschluckt))"),
    ("portuguese", r"\b(?:quero\s+(?:morrer|me\s+matar|sumir\s+para\s+sempre)|nao\s+quero\s+(?:mais\s+)?viver|me\s+matar|vou\s+me\s+matar"
                   r"|tirar\s+(?:a\s+)?minha\s+(?:propria\s+)?vida|acabar\s+com\s+a\s+minha\s+vida|vontade\s+de\s+morrer"
                   r"|tomei\s+todos\s+os\s+(?:meus\s+)?(?:remedios|comprimidos))"),
    ("italian", r"\b(?:voglio\s+morire|(?:voglio|vorrei)\s+(?:uccidermi|ammazzarmi|farla\s+finita|togliermi\s+la\s+vita)|farla\s+finita"
                r"|non\s+voglio\s+(?:piu\s+)?vivere|uccidermi|ammazzarmi|togliermi\s+la\s+vita)"),
    ("polish", r"\b(?:chce\s+umrzec|zabic\s+sie|zabije\s+sie|nie\s+chce\s+(?:juz\s+)?zyc|odebrac\s+sobie\s+zycie)"),
    ("dutch", r"\b(?:ik\s+wil\s+(?:dood|niet\s+meer\s+leven|er\s+niet\s+meer\s+zijn|sterven)|zelfmoord\s+plegen"
              r"|mezelf\s+(?:van\s+kant\s+maken|doden|ombrengen))"),
    ("scandinavian_romanian_czech", r"\b(?:jag\s+vill\s+(?:do|inte\s+leva)|ta\s+livet\s+av\s+mig|jeg\s+vil\s+(?:do|ikke\s+leve)"
                                    r"|vreau\s+sa\s+mor|sa\s+ma\s+sinucid|chci\s+umrit|zabiju\s+se)"),
    ("turkish_indonesian_tagalog", r"\b(?:olmek\s+istiyorum|intihar\s+edece\w*|kendimi\s+oldur\w*|yasamak\s+istemiyorum"
                                   r"|(?:ingin|mau|pengen|pingin)\s+(?:mati|bunuh\s+diri)|bunuh\s+diri\s+(?:saja|aja)"
                                   r"|gusto\s+ko\s+(?:nang\s+|na\s+)?mamatay|magpakamatay|ayoko\s+(?:nang|na)\s+mabuhay)"),
    ("hindi_vietnamese", r"\b(?:mar(?:na)?\s+(?:jana\s+)?chaht[aie]|jeena\s+nahi\s+chaht[aie]|khudkushi\s+kar\w*|muon\s+(?:chet|tu\s+tu)"
                         r"|khong\s+muon\s+song)|मरना\s+चाहत|आत्महत्या\s+कर|जीना\s+नहीं\s+चाहत"),
    ("cyrillic_greek", r"хочу\s+умереть|покончить\s+с\s+собой|не\s+хочу\s+жить|убить\s+себя|хочу\s+померти|не\s+хочу\s+жити"
                       r"|покінчити\s+з\s+собою|не\s+(?:просыпается|дышит)|выпил[аи]?\s+все\s+таблетки|помогите"
                       r"|θελω\s+να\s+πεθανω|να\s+αυτοκτονησω|πηρε\s+(?:ολα\s+)?τα\s+χαπια|δεν\s+(?:ξυπναει|αναπνεει)|βοηθεια\s*!"),
    ("arabic_farsi_hebrew", r"اريد\s+ان\s+اموت|اقتل\s+نفسي|سانتحر|بمیرم|خودکشی\s+کنم|רוצה\s+למות|רוצה\s+להתאבד"),
    ("chinese_japanese_korean", r"我想死|不想活|想自杀|要自杀|结束自己的生命|死にたい|消えたい|自殺したい|죽고\s*싶|자살하고\s*싶|살기\s*싫"),
]

STRONG_PATTERNS: List[Tuple[str, str]] = [
    # suicide: explicit intent or wish, in the first or third person
    ("kill_self", rf"\b{KILL}(?:ing|ed|s)?\s+{SELF}\b"),
    ("kms", r"(?<!\d )(?<!\d)\b(?:kms|kys)\b(?!\s+(?:away|from|to|drive|north|south|east|west))|\b(?:unalive\w*|un-alive\w*|sewerslide|su1c1de)\b"),
    ("end_life", r"\b(?:end|ending|ended|take|taking|took)\s+(?:my|his|her|their|ur|your)\s+(?:own\s+)?li(?:fe|ves)\b"),
    ("end_it", r"\b(?:end|ending|finish)\s+it\s*(?:all|tonight|today|now|for good|tbh|$)|\b(?:end|ending)\s+(?:everything|things)\b"),
    ("going_to_end_it", r"\b(?:going\s+to|gonna|will|i'?ll|ill|ready\s+to|want\s+to|wanna|about\s+to)\s+end\s+it\b"
                        r"(?!\s+(?:with|early|here|there|for\s+(?:the\s+)?(?:day|night|now)))"),
    ("want_to_die", rf"\b(?:wants?|wnt|wan|wnat|whant|wanna|wana|wanted|going|gonna|ready|trying|plan(?:ning)?|wish|hope)\s+(?:to\s+)?{DIE}\b"),
    # Spanish, French, German and Portuguese: patients do not always write in English.
    ("not_want_to_live", r"\b(?:don'?t|dont|do\s+not|no\s+longer|never)\s+(?:want|wanna|wish)\s+(?:to\s+)?(?:live|b(?:e)?\s+alive|exist|b(?:e)?\s+here|go\s+on|keep\s+living)\b"),
    ("wish_dead", r"\bwish\s+(?:i|he|she)\s+(?:was|were|had\s+never\s+been|could)\s+(?:dead|born|disappear|gone)"),
    ("better_off", r"\bbetter\s+off\s+(?:without\s+(?:me|him|her|them)|dead|if\s+i\s+(?:was|were)n?'?t?\s+(?:here|around|alive|dead|gone))"),
    ("no_reason_to_live", r"\b(?:no|any)\s+(?:reason|point|purpose)\s+(?:to|in|of)\s+(?:liv\w*|go(?:ing)?\s+on|be(?:ing)?\s+(?:here|alive)|carry(?:ing)?\s+on|wak\w+\s+up|keep\s+(?:going|living|trying)|stay(?:ing)?\s+alive)"),
    ("survival_in_doubt", r"\bif\s+i\s+(?:make\s+it|survive|live)\b|\bif\s+(?:i'?m|im|i\s+am)\s+still\s+(?:here|alive|around)\b|\b(?:i'?m|im|i\s+am|i'?ll\s+be|ill\s+be)\s+(?:dead|gone)\s+(?:before|by)\b|\b(?:after|when|once)\s+(?:i'?m|im|i\s+am)\s+gone\b|\breason\s+not\s+to\s+(?:do\s+it|end\s+it|kill|die)\b|\b(?:will|gonna|going\s+to)\s+find\s+(?:me|my\s+body)\b|\bgave\s+away\s+(?:my|all\s+my)\b|\b(?:won'?t|wont|will\s+not)\s+(?:be\s+)?need(?:ing)?\s+(?:it|this|that|anything|them|(?:my|the|an?)\s+\w+)\s+(?:after|past|beyond)\s+(?:tonight|today|tomorrow|this\s+week)\b|\bbleed\s+out\b|\b(?:won'?t|wont|will\s+not)\s+(?:be\s+able\s+to\s+)?(?:reach|find|see|hear\s+from)\s+me\b|\b(?<!long\s)(?:i'?ll|ill|i\s+will)\s+be\s+gone\b(?!\s+(?:for|from|at|on|until|till|by)\b)|\breason\s+to\s+(?:stay|keep)\s+(?:alive|going|living)\b|\bpills\s+win\b|\b(?:i'?m|im|i\s+am)\s+not\s+safe\b|\bdon'?t\s+feel\s+safe\s+(?:with|around)\s+myself\b|\bstill\s+here\W+barely\b"),
    ("plan", r"\b(?:a|the|my)\s+plan\s+and\s+(?:a\s+date|the\s+means|the\s+pills|a\s+time)\b|\b(?:picked|set|chose|chosen)\s+(?:a|the)\s+(?:date|day)\b|\bwrote\s+(?:my|a)\s+will\b|\b(?:got|have|made)\s+(?:a|the|my)\s+plan\s+(?:for|on)\s+(?:(?:this|next)\s+)?(?:sunday|monday|tuesday|wednesday|thursday|friday|saturday|tonight|tomorrow|the\s+weekend)\b|\b(?:got|have|made)\s+(?:a|the|my)\s+plan\s*(?:$|[.!]|to\s+(?:end|die|do\s+it|kill))"),
    ("cant_go_on", r"\b(?:can'?t|cannot|cant|won'?t)\s+(?:go\s+on|keep\s+going|do\s+this\s+any\s*more|take\s+(?:it|this)\s+any\s*more|live\s+like\s+this)"),
    ("not_wake_up", r"\b(?:hope|hoping|wish|pray\w*)\s+(?:i\s+)?(?:don'?t|dont|never|won'?t|wont)\s+wake\s+up|\b(?:don'?t|dont|never)\s+(?:want\s+to|wanna)\s+wake\s+up"),
    ("not_be_around", r"\b(?:won'?t|wont|will\s+not|not\s+gonna|not\s+going\s+to|not\s+like\s+i'?ll|i'?ll\s+not)\s+(?:still\s+)?be\s+(?:here|around|alive)\b|\b(?:don'?t|dont|do\s+not|not)\s+(?:plan|expect|intend)\w*\s+(?:on\s+|to\s+)?be(?:ing)?\s+(?:here|around|alive)\b"),
    ("not_make_it", r"\b(?:don'?t|dont|not|won'?t|wont|can'?t|cant)\s+(?:think\s+|know\s+if\s+|sure\s+)?(?:i'?ll|ill|i\s+will|i\s+can|i'?m\s+going\s+to|gonna|going\s+to)?\s*(?:make\s+it|survive|last)\s+(?:through\s+)?(?:tonight|the\s+night|today|this\s+week|the\s+week|much\s+longer)"),
    # "I just want it all to stop"; "the only reason I haven't done it is my dog"
    ("wants_it_to_stop", r"\bwant\s+(?:it\s+all|everything|all\s+of\s+(?:it|this))\s+to\s+(?:stop|end|be\s+over)\b"),
    ("last_reason", r"\bonly\s+(?:reason|thing)\s+(?:(?:that\s+)?i\s+(?:haven'?t|hadn'?t|havent|hadnt|didn'?t|didnt)\s+(?:done\s+it|gone\s+through\s+with\s+it|ended\s+it)"
                    r"|(?:keeping|stopping)\s+me\s+(?:here|alive|from\s+(?:doing\s+it|ending\s+it))|(?:i'?m|im|i\s+am)\s+still\s+(?:here|alive))"),
    # Means gathered: "I've been stockpiling for weeks", "I know exactly what amount would do it"
    ("means_gathered", r"\b(?:i'?ve\s+been|been|i\s+am|i'?m|im|started)\s+(?:stockpil\w+|hoard\w+|stash\w+|sav(?:ing|ed)\s+(?:up\s+)?(?:my\s+)?(?:pills|meds|tablets|them))\b"
                       r"|\bstockpil\w*\s+(?:my\s+|of\s+)?(?:pills|meds|tablets|medications?|sleeping|painkillers)"
                       r"|\bknow\s+(?:exactly\s+)?(?:what|how\s+much|how\s+many|which)\b.{0,25}\b(?:would|will|'?d|'?ll)\s+do\s+it\b"),
    # A deadline after which nothing matters: "after Friday it won't matter"
    ("deadline", r"\b(?:after|by|past|beyond)\s+(?:this\s+|next\s+|the\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
                 r"|tonight|tomorrow|weekend|week|month|then|that|christmas|my\s+birthday|the\s+\d{1,2}(?:st|nd|rd|th)?)\s*,?\s+(?:it|nothing|anything)\s+(?:won'?t|will\s+not|wont|doesn'?t|isn'?t\s+going\s+to)\s+matter\b(?!\s+much)"
                 r"|\bnothing\s+(?:will\s+)?matters?\s+(?:after|past|beyond)\s+(?:this|next|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"),
    # An overdose about to be taken: "gonna take all my pills n sleep forever"
    ("taking_all_pills", rf"\b(?:take|taking|swallow\w*|down|neck)\s+(?:all|every|the\s+whole\s+(?:bottle|box|pack)\s+of)\s+(?:of\s+)?(?:my|the|these|those|his|her|mums?|moms?|dads?)?\s*(?:\w+\s+)?{PILLS}"
                         r"|\bsleep\s+forever\b|\bgo\s+to\s+sleep\s+(?:and|n|&)\s+(?:never|not)\s+wake\s+up"),
    ("no_point_in_living", r"\b(?:don'?t|dont|do\s+not|can'?t|cant|cannot)\s+see\s+(?:the|any)\s+(?:point|reason)\s+(?:in|of|to)\s+(?:liv\w*|wak\w+\s+up"
                           r"|go(?:ing)?\s+on|carry\w*\s+on|be(?:ing)?\s+(?:here|alive)|stay\w*\s+alive)"),
    ("done_trying", r"\b(?:i'?m|im|i\s+am)\s+(?:so\s+|just\s+)?done\s+(?:trying|fighting|with\s+(?:life|living|being\s+alive|everything|it\s+all))\s*(?:[.!]|$)"
                    r"|\bmake\s+(?:the|this|my|it)\s+(?:pain\s+|hurt\s+|hurting\s+)?(?:stop|end|go\s+away)\s+(?:permanently|forever|for\s+good)\b"),
    # Belongings given away; "I won't be needing them where I'm going"
    ("giving_away", r"\b(?:gave|giving|given)\s+(?:my|all\s+my)\s+(?:things|stuff|belongings|possessions)\s+(?:away|to)\b|\brehom\w+\s+my\s+(?:dog|cat|pets?)\b"
                    r"|\bwon'?t\s+(?:be\s+)?need(?:ing)?\s+(?:them|it|this|that|anything|any\s+of\s+(?:it|this|them))\s+where\s+(?:i'?m|im|i\s+am)\s+going"),
    ("car_method", r"\b(?:steer\w*|driv\w+|crash\w*|swerv\w+|ram\w*)\s+(?:my\s+car\s+|the\s+car\s+|it\s+|myself\s+)?(?:into|off)\s+(?:a|the|an)\s+"
                   r"(?:tree|wall|pole|bridge|cliff|truck|lorry|oncoming\s+\w+|river|barrier|train|bus|overpass)\b"),
    # Looking up amounts: "i keep googling how many panadol it takes"
    ("amount_it_takes", rf"\bhow\s+(?:many|much)\s+(?:\w+\s+){{0,2}}{PILLS}\s+(?:it\s+)?(?:takes|would\s+take|does\s+it\s+take|to\s+take|is\s+(?:too\s+much|fatal|lethal|deadly|enough)"
                        r"|would\s+(?:kill|do\s+it))\b(?!\s+to\s+(?:feel|work|help|get\s+better|kick))"),
    # Poison swallowed: "I have taken rat poison one hour back"
    ("poison_taken", r"\b(?:taken|took|take|drank|drunk|drink|swallowed|ate|had|consumed|ingested)\s+(?:(?:some|a\s+lot|a\s+bottle|a\s+cup|a\s+bit)\s+(?:of\s+)?)?(?:the\s+|my\s+|our\s+|his\s+|her\s+)?"
                     r"(?:rat\s+poison|poison|bleach|pesticides?|insecticides?|weed\s?killer|antifreeze|paraquat|phenyle?|kerosene|rodenticide"
                     r"|drain\s+cleaner|toilet\s+cleaner|pest\s+killer|mosquito\s+liquid)\b"),
    # A last message that thanks for everything or says sorry is a goodbye note.
    ("last_message", r"\b(?:my\s+)?last\s+message\b.{0,40}\b(?:thank\s+you\s+for\s+everything|thanks\s+for\s+everything|i'?m\s+sorry|love\s+you|goodbye\s+(?:everyone|all))"),
    ("farewell", r"\b(?:put|putting|got|getting|have|had)\s+(?:all\s+)?my\s+affairs\s+in\s+order\b|\b(?:wasn'?t|was\s+not|isn'?t|is\s+not)\s+(?:his|her|their|your|anyone'?s|u'?re)\s+fault\b|\blet\s+(?:it|myself|me)\s+(?:happen|go|die|freeze|drown|fade)\b|\bwon'?t\s+stop\s+unless\s+i\b|\bunless\s+i\s+(?:die|end\s+it|kill)|\blast\s+time\s+(?:anyone|you|they|u|people)\s+(?:will\s+|'ll\s+)?(?:hear|see|talk)|\bwon'?t\s+(?:hear|see)\s+(?:from\s+)?me\s+again\b|\bthis\s+is\s+(?:my\s+)?goodbye\b"),
    ("permanent_fix", r"\bfix\s+(?:it|that|this|everything)\s+(?:permanently|for\s+good)\b|\b(?:pain|hurt|hurting|suffering|it\s+all|everything)\s+to\s+(?:stop|end|go\s+away)\s+(?:permanently|forever|for\s+good)\b|\bburden\b.{0,60}\b(?:permanent\w*|for\s+good|without\s+me)\b"),
    ("means_seeking", r"\bhow\s+(?:high|tall|far)\b.{0,40}\b(?:building|bridge|cliff|balcony|floor|drop|fall|jump)\w*\b.{0,40}\b(?:sure|die|dead|survive|enough|fatal|lethal)\b|\bhow\s+(?:many|much)\b.{0,40}\b(?:to\s+)?(?:overdose|die|kill\s+(?:myself|me|someone)|od)\b|\bhow\s+many\b.{0,40}\btoo\s+many\b|\b(?:lethal|fatal|deadly)\s+(?:dose|amount)\b|\b(?:painless|easiest|quickest|best)\s+way\s+to\s+(?:die|go|end\s+it|kill)"),
    ("goodbye_note", r"\b(?:wrote|written|writing|left|leaving)\s+(?:a\s+|the\s+|my\s+)?(?:notes?|letters?)\s+(?:for|to)\s+"
                     r"(?:my\s+|the\s+)?(?:family|kids|children|wife|husband|partner|mom|mum|dad|parents|everyone)\b"
                     r"|\b(?:notes?|letters?)\s+for\s+(?:my\s+|the\s+)?\w+\s+to\s+find\b|\b(?:goodbye|suicide|farewell)\s+(?:note|letter|message|text)s?\b|\bsaying\s+goodbye\s+to\s+(?:every|my)\w*"),
    # plans and means
    ("means_at_hand", r"\b(?:have|got|bought|holding|hold|found|loaded|sitting\s+with|with)\s+(?:a|the|my|his|her|some)\s+(?:gun|rope|noose|knife|razor(?:\s+blades?)?|blades?)\b|\b(?:holding|bought|found|hid)\s+(?:the|my|some|a\s+bottle\s+of|enough)\s+(?:pills|meds|tablets|knives)\b|\b(?:on|from|at)\s+(?:the|a)\s+(?:balcony\s+)?(?:ledge|roof\s+edge|edge\s+of\s+the\s+roof|train\s+tracks|railway\s+tracks)\b|\b(?:i'?m|im|i\s+am)\s+(?:standing|sitting|up|at|on|by)\s+(?:on\s+|at\s+|by\s+)?(?:the\s+)?(?:top\s+of\s+(?:the|a)\s+)?(?:train\s+tracks|tracks|railway|bridges?|ledge|roof|rooftop|parking\s+garage|cliffs?|edge)\b|\b(?:pills|meds|tablets)\s+(?:are\s+)?(?:counted|lined\s+up|laid\s+out|set\s+out|ready)\b"),
    ("means", rf"\b(?:have|got|bought|saved|saving|stash\w*|stockpil\w*|hoard\w*|collected|counted)\s+(?:up\s+)?(?:a\s+|the\s+|my\s+|some\s+|enough\s+|all\s+(?:my|the)\s+)?{PILLS}\b.*\b(?:ready|end|die|kill|enough|tonight|done|for\s+it|to\s+do\s+it|decided|next\s+to\s+me|in\s+my\s+hand|scared)"),
    ("method", rf"\b(?:hang|hanging|shoot|shooting|drown|drowning|poison\w*)\s+{SELF}\b|\bjump(?:ing)?\s+(?:off|in\s+front)|\bslit\w*\s+(?:my|his|her)\s+wrists?\b|\bgarage\b.{{0,40}}\b(?:car|engine)\b.{{0,15}}\b(?:running|on)\b|\b(?:car|engine)\s+running\b.{{0,30}}\bgarage\b|\bcarbon\s+monoxide\b|\bhose\b.{{0,40}}\bexhaust\b|\bexhaust\s+(?:pipe|fumes)\b.{{0,40}}\b(?:car|window|inside|in\s+the)\b|\b(?:drive|driving|crash|crashing|steer|swerve|walk|walking)\s+(?:my\s+car\s+|the\s+car\s+)?(?:into|off|in\s+front\s+of)\s+(?:the\s+|a\s+)?(?:river|lake|sea|ocean|wall|tree|traffic|bridge|cliff|train|truck|bus|oncoming)|\bedge\s+of\s+(?:the\s+|a\s+)?(?:platform|roof|bridge|cliff|building|balcony|tracks)\b"),
    # self-harm
    ("self_harm", rf"\b(?:cut|cuts|cutting|burn|burned|burning|hurt|hurting|harm|harming|hit|hitting|starv\w*|punish\w*)\s+{SELF}\b|\b(?:cut|cutting)\s+again\b|\b(?:cut|scratched|slashed|sliced|opened)\s+(?:my|his|her)\s+(?:wrists?|arms?|legs?|thighs?)\b|\bsh\s+(?:urges?|again|relapse)\b|\burges?\s+to\s+(?:cut|hurt|harm|burn)\b"),
    # overdose and poisoning happening now
    ("overdose", r"\b(?:i|i'?ve|he|she|they|my\s+\w+)\s+(?:just\s+|think\s+i\s+|might\s+have\s+|may\s+have\s+)?(?:overdosed|od'?d|o\.d\.?'?d|took\s+an?\s+(?:overdose|od))\b"),
    ("took_too_many", rf"\b(?:took|taken|swallowed|downed|ate|had)\s+(?:a\s+|the\s+|my\s+|his\s+|her\s+|their\s+)?(?:whole|entire|full|all|lots|bunch|handful|fistful|heap|load|loads|ton|tons|pile|stack|bottle|box|pack|too\s+many|too\s+much|way\s+too|so\s+many|\d{{2,}})\b.{{0,40}}\b(?:{PILLS}|bottle|box|pack|of\s+(?:my|them|it))"),
    ("overdosing_now", r"\b(?:overdosing|od'?ing)\b"),
    # emergencies happening now
    ("emergency", r"\b(?:not|isn'?t|isnt|stopped|barely|can'?t|cant|unable\s+to)\s+(?:be\s+able\s+to\s+)?breath\w*|\b(?:can'?t|cant|cannot|couldn'?t)\s+get\s+(?:any\s+|enough\s+)?air\b|\bgasping\s+for\s+(?:air|breath)\b|\blips\s+(?:look|are|turning|going)\s+blue\b|\bunconscious\b|\bunresponsive\b|\b(?:won'?t|wont|isn'?t|isnt|not|can'?t)\s+(?:wake|waking)\s+(?:up|her|him|them)\b|\b(?:having|had)\s+a\s+seizure\b|\bseizing\b|\bcollapsed\b|\bturning\s+blue\b|\bbleeding\s+(?:a\s+lot|badly|heavily|everywhere|out)\b|\bcall(?:ed|ing)?\s+(?:an?\s+)?ambulance\b"),
    # "passed out" is told in stories of the past as well ("people passed out at raves back then")
    ("passed_out", r"\bpassed\s+out\b"),
    # a body in trouble now: an allergic reaction, chest pain
    ("body_emergency", r"\b(?:throat|tongue|lips?|face)\b.{0,25}\b(?:swell\w*|swollen|closing)\b"
                       r"|\b(?:crushing|severe|really\s+bad|sharp)\s+chest\s+pain\b"
                       r"|\b(?:i\s+have|i'?ve\s+got|having|got|now\s+i\s+have)\s+(?:\w+\s+)?chest\s+pain\b"
                       r"|\bchest\s+(?:hurts|is\s+(?:tight|crushing)|feels\s+(?:tight|crushed))\b"
                       r"|\bclutch\w*\s+(?:at\s+)?(?:his|her|my|their)\s+chest\b"
                       r"|\b(?:crushing|severe|sharp|really\s+bad)\s+pain\s+in\s+(?:my|the|his|her)\s+chest\b"
                       r"|\bchest\b.{0,60}\b(?:arm|jaw)\b.{0,20}\b(?:numb|tingl\w*|hurts)\b"
                       r"|\bchest\s+(?:is|feels)\s+(?:really\s+|so\s+|very\s+)?(?:tight|crushing|heavy)\b"),
    # means at hand that the patterns above do not name
    ("giving_things_away", r"\bgiv(?:e|ing|en)\s+(?:away\s+)?(?:my|all\s+my)\s+(?:things|stuff|belongings|possessions)\b"
                           r"|\bbecause\s+i\s+(?:won'?t|wont|will\s+not)\s+need\s+(?:them|it|any\s+of\s+it)\b"),
    ("cannot_stay_safe", r"\b(?:can'?t|cannot|can\s+not|not\s+able\s+to|don'?t\s+think\s+i\s+can|unable\s+to)\s+keep\s+"
                         r"(?:myself|me)\s+safe\b|\bbefore\s+i\s+(?:do\s+something\s+to\s+myself|hurt\s+myself|do\s+something\s+stupid)\b"
                         r"|\bdo\s+something\s+to\s+myself\b"),
    ("took_more_than_prescribed", rf"\b(?:took|taken|swallowed|had)\s+(?:way\s+|a\s+lot\s+|far\s+)?(?:more|extra)\s+(?:of\s+)?"
                                  rf"(?:my\s+|his\s+|her\s+)?(?:\w+\s+)?{PILLS}\s+than\b|\blike\s+\d{{2,}}\s+of\s+them\b"),
    ("deadline_given", r"\bgiven\s+myself\s+(?:until|till|til|one\s+more|a\s+(?:week|month|few\s+(?:days|weeks)))\b"
                       r"|\bif\s+(?:nothing|it\s+doesn'?t|this\s+doesn'?t)\s+(?:changes?|work\w*|help\w*)\b.{0,30}"
                       r"\b(?:i'?m|im|i\s+am)\s+(?:out|done|gone)\b"),
    ("plan_to_do_it", r"\b(?:know|knew|decided|figured\s+out|worked\s+out|planned|picked)\s+(?:exactly\s+)?(?:how|when|where)\s+"
                      r"(?:i'?m|im|i\s+am|i'?ll|ill)\s+(?:going\s+to|gonna|gna)\s+do\s+it\b"),
    ("means_other", r"\b(?:got|have|holding|took|grabbed)\s+(?:my\s+|his\s+|her\s+|the\s+)?\w+'?s\s+(?:gun|pistol|rifle|revolver)\b"
                    r"|\bi\s+have\s+enough\s+(?:now|pills|of\s+them)\b|\blook(?:ed|ing)\s+up\s+how\s+(?:many|much)\b|\bi\s+have\s+(?:way\s+|far\s+)?more\s+than\s+(?:that|enough)\b"
                    r"|\b(?:on|onto)\s+the\s+(?:train\s+|railway\s+|rail\s+)?tracks\b|\btrain\s+to\s+hit\b"
                    r"|\bin\s+front\s+of\s+(?:a|the)\s+(?:train|bus|truck|car)\b"
                    r"|\bwhatever\s+i\s+(?:didn'?t|didnt|haven'?t|havent)\s+(?:already\s+)?swallow\w*"
                    r"|\bsaid\s+(?:all\s+)?my\s+goodbyes\b|\b(?:didn'?t|didnt)\s+want\s+to\s+wake\s+up\b"),
    # asking for help with something happening now ("this is an emergency", "I need help now")
    ("help_now", r"\b(?:this|it)\s*(?:'s|is)\s+an?\s+(?:real\s+|medical\s+)?emergenc\w*(?!\s+(?:room|appointment|number|line|contact))"
                 r"|^\W*emergency\b(?!\s+(?:contact|number|room|appointment|line|plan))|\bemergency\s*(?:!|please|help|now|pls)|\bmedical\s+emergency\s+(?:now|right\s+now|here)"
                 r"|\b(?:need|needs|want)\s+(?:some\s+)?help\s+(?:right\s+now|rite\s+now|now|rn|asap|urgently|immediately|fast|quick)"
                 r"(?!\s+(?:with|to|for|on|booking|finding|understanding|paying|choosing))"
                 r"|\bhelp\s+me\s+(?:now|please\s+now|asap|right\s+now)|\b(?:please|pls|plz)\s+(?:someone\s+)?help\s+me\b(?!\s+(?:understand|find|book|choose|figure|decide|with\s+(?:the|my)\s+(?:booking|form|insurance)))"
                 r"|\bsomeone\s+(?:please\s+)?(?:answer|help)\b.{0,20}(?:emergenc|now|please|!)"
                 r"|\b(?:i'?m|im|i\s+am)\s+not\s+(?:ok|okay|safe|alright)\b.{0,40}\bhelp\b|\bhelp\b.{0,40}\b(?:i'?m|im)\s+not\s+(?:ok|okay|safe)\b"
                 r"|\bcall\s+(?:911|999|112|an?\s+ambulance|the\s+ambulance|emergency\s+services)"),
    # a goodbye or talk of dying from someone else
    ("third_person_goodbye", rf"\b{SOMEONE}\b.{{0,40}}\b(?:texted|messaged|called|wrote|said)\s+(?:me\s+)?(?:a\s+)?(?:goodbye|farewell)"
                             rf"|\b{SOMEONE}\b.{{0,40}}\b(?:talk\w*|texting|writing|posting)\s+about\s+(?:dying|death|ending\s+it|suicide|not\s+being\s+here)"),
    # other languages: emergencies, overdoses, methods and help-seeking
    ("other_language_danger", r"\b(?:emergencia|urgencia|socorro|ay[uú]d(?:a|ame)\s+(?:ahora|por\s+favor|ya)|emerg[eê]ncia"
                              r"|preciso\s+de\s+ajuda|urgence|au\s+secours|aidez[\s-]moi|notfall|hilfe|emergenza|aiuto|noodgeval"
                              r"|ratunku|pomocy|slaappillen|(?:pastillas|pastilhas|comprim[eé]s|tabletten|pillole|tabletki)\b.{0,30}\b(?:tom[eéó]\w*|muchas|todas|tragu\w*|muitas|todas|pris|aval[eé]\w*|genommen|geschluckt|pres[oe]|ingoiat\w*|wzi[aą]\w*|po[lł]kn\w*)|\b(?:tom[eéó]\w*|muchas|todas|muitas|pris|genommen|geschluckt|wzi[aą]\w*)\b.{0,30}\b(?:pastillas|pastilhas|comprim[eé]s|tabletten|pillole|tabletki)"
                              r"|no\s+(?:despierta|respira)|n[aã]o\s+(?:acorda|respira)|ne\s+(?:se\s+r[eé]veille|respire)\s+pas"
                              r"|atmet\s+nicht|wacht\s+nicht\s+auf|non\s+(?:respira|si\s+sveglia)|sauter|springen|saltar|pular|buttarmi"
                              r"|tuer|me\s+matar|matarme|morir|morrer|sterben|umbringen|uccidermi|farla\s+finita|zabi[cć]\s+si[eę]"
                              r"|samob[oó]j\w*|zelfmoord|suicidar(?:me|se)|me\s+suicider|suicidio|suic[ií]dio|suizid\w*|me\s+machucar|lastimarme|hacerme\s+da[ñn]o|me\s+faire\s+du\s+mal"
                              r"|mich\s+(?:verletzen|ritzen)|mir\s+(?:weh\s+tun|etwas\s+antun)|farmi\s+del\s+male|nie\s+chc[eę]\s+(?:ju[zż]\s+)?(?:[zż]y[cć]|tu\s+by[cć])"
                              r"|no\s+quiero\s+estar\s+aqu[ií]|no\s+voy\s+a\s+estar\s+aqu[ií]|ya\s+no\s+estar[eé]|je\s+ne\s+serai\s+plus\s+l[aà]|ich\s+werde\s+nicht\s+mehr\s+(?:da|hier)\s+sein|n[aã]o\s+vou\s+(?:mais\s+)?estar\s+aqui|non\s+ci\s+sar[oò]\s+pi[uù]|je\s+ne\s+veux\s+plus|ich\s+kann\s+nicht\s+mehr|non\s+ce\s+la\s+faccio\s+pi[uù])\b"),
    # third person intent
    ("third_person_intent", rf"\b{SOMEONE}\s+(?:says?|said|saying|keeps?\s+saying|told\s+me|texted|wants?|is\s+going|is\s+gonna|will|threaten\w*|talk\w*\s+about)\s+(?:that\s+)?(?:(?:she|he|they)\s+(?:is\s+going\s+to|will|wants?\s+to|wanna|gonna)\s+)?(?:to\s+)?(?:{KILL}\s+{SELF}|{DIE}|end\s+(?:it|(?:his|her|their)\s+li(?:fe|ves))|suicide)"),
]

# A mention that is a crisis unless the message is a question about treatment or facts.
MENTION_PATTERNS: List[Tuple[str, str]] = [
    ("suicide_mention", r"\bs+u+i+c+i+d+\w*|\bsuicid\w*|\bsucid\w*|\bsuic?ide\w*|\bsuisid\w*|\bsuicdal\b|\bsuicde\b"),
    ("overdose_mention", r"\boverdos\w*|\bod\b"),
    ("self_harm_mention", r"\bself[\s-]?harm\w*"),
    ("way_out_mention", r"\b(?:permanent|final)\s+(?:solution|way\s+out|exit)\b"),
    ("emergency_mention", r"\bbleeding\b|\blot\s+of\s+blood\b|\b(?:about\s+to|going\s+to|gonna)\s+pass\s+out\b|\bpassing\s+out\b|\bfainted\b|\bhit\s+(?:her|his|my|their)\s+head\b|\bnot\s+making\s+sense\b|\bcrashed\b.{0,40}\b(?:car|glass|airbags?|into)\b|\bglass\s+everywhere\b|\bairbags?\s+(?:went\s+off|deployed)\b|\b(?:car\s+)?(?:accident|crash)\b.{0,20}\b(?:just\s+now|just\s+happened|right\s+now)\b|\bheart\s+(?:is\s+)?(?:going|racing|pounding)\b.{0,30}\b(?:1[5-9]\d|2\d\d|pass\s+out|can'?t\s+breathe)"),
]

# Words that make a message about treatment, the clinic or evidence rather than about now.
TREATMENT_WORDS = re.compile(
    r"\b(?:ketamine|ketamin|treatment|therapy|infusions?|spravato|esketamine|clinic|doctors?|"
    r"psychiatrists?|evaluation|screening|intake|candidate|contraindicat\w*|studies|study|research|"
    r"dose|iv|drip|medication|effect|mechanism|candida\w*|eligib\w*|qualif\w*)\b"
)
# A question word opening the message or one of its clauses, or a question mark.
QUESTION = re.compile(
    r"(?:^|[,.;:!-]\s*|\b(?:and|but|so|also)\s+)(?:can|could|does|do|did|is|are|was|will|would|"
    r"should|how|what|what'?s|whats|why|when|which|who|where|if|has|have)\b|\?|\b(?:curious|wondering|wonder)\b"
)
# Past episodes asked about now ("I self-harmed years ago, am I a candidate?").
PAST_CONTEXT = re.compile(
    r"\b(?:years?\s+ago|months\s+ago|long\s+ago|as\s+a\s+(?:teen\w*|kid|child)|"
    r"in\s+(?:high\s+school|college|my\s+teens|my\s+twenties|the\s+past|\d{4}|the\s+'?\d0s)|back\s+(?:in|when)|"
    r"when\s+i\s+was\s+(?:\d+|younger|a\s+\w+)|(?:i'?m|im)\s+(?:\d+\s+now\s+and\s+)?(?:clean|sober)|"
    r"last\s+(?:year|month|summer|winter|spring|fall|autumn)|died\s+by\s+suicide|"
    r"history\s+of|previous(?:ly)?|past|former|prior|old\s+(?:[\w-]+\s+){0,2}scars|long\s+behind\s+me|"
    r"been\s+(?:free|clean|well|fine|stable)|doing\s+(?:much\s+|a\s+lot\s+)?better|in\s+recovery|recovered)\b"
)
# ...unless something says it is happening again or now.
PRESENT_MARKER = re.compile(
    r"\b(?:again|tonight|right\s+now|at\s+the\s+moment|these\s+days|lately|this\s+week|"
    r"can'?t\s+stop|started\s+again|relapsed|relapsing|currently)\b"
)
# Rules about acts that a past-history question may legitimately describe.
PAST_EXCUSABLE = {"kill_self", "end_life", "self_harm", "overdose", "took_too_many", "method", "car_method", "passed_out"}

# A disclosure that the writer or someone else is at risk now.
PRESENT_DANGER = re.compile(
    r"\b(?:i'?m|i\s+am|im|i\s+feel|i'?ve\s+been|ive\s+been|i\s+keep|i\s+have|been\s+having|"
    r"right\s+now|tonight|today|currently|at\s+the\s+moment|rn|again|can'?t\s+stop|"
    r"(?:he|she|they)\s+(?:is|are|has|have)(?!\s+had)|my\s+\w+\s+(?:is|has)(?!\s+had))\b.{0,40}\b(?:suicid\w*|sucid\w*|overdos\w*)"
    r"|\b(?:suicid\w*|sucid\w*)\s+(?:thoughts?|feelings?|urges?)?\s*(?:right\s+now|tonight|today|again|rn)\b"
    r"|(?:^|\bi\s+|\bi'?m\s+|\bim\s+|\bbeen\s+)feel(?:ing)?\s+(?:really\s+|very\s+|so\s+)?suicid\w*"
)
# Crisis words about something else: excuse a classifier-only reading, never a pattern.
ORDINARY_CONTEXT = re.compile(
    # "am I putting myself in harm's way doing this?" asks whether the treatment is safe
    r"\bput(?:ting)?\s+myself\s+in\s+harm'?s\s+way\s+(?:by\s+)?(?:doing|getting|having|trying)\s+(?:this|it|ketamine|the\s+treatment|infusions?)\b|"
    r"\b(?:end|ending|cancel|stop)\s+(?:my|the|our|this)\s+(?:subscription|membership|contract|plan|account|"
    r"appointment|booking|session|call|chat|newsletter|emails?|texts?)\b|"
    r"\b(?:passed\s+away|passed\s+on|funeral|memorial)\b|"
    r"\b(?:film|movie|tv\s+show|series|novel|documentary|episode|video\s+game)\b|"
    # Things, not people: a dripping sink or a dying phone battery is nobody in danger.
    r"\b(?:sink|faucet|toilet|pipes?|leak\w*|drip\w*|dishwasher|fridge|freezer|boiler|"
    r"battery|laptop|router|wifi|printer|houseplants?|lawn|gutters?)\b|"
    r"\b(?:is|are|'s|will|gonna|going\s+to)\s+(?:going\s+to\s+)?kill\s+me\s+if\b"
)
# "I'm doing fine": excuses a classifier-only reading, never a pattern.
DOING_FINE = re.compile(r"\b(?:i'?m|im|i\s+am)\s+doing\s+(?:fine|ok|okay|good|well)\b(?!\s+(?:but|except))")

NEGATED_MENTION = re.compile(
    r"\b(?:free\s+(?:of|from)|no\s+longer\s+(?:\w+\s+)?|not|never|stopped(?:\s+having)?|without|no)\s+(?:\w+\s+)?(?:suicid|overdos)"
)

# Figures of speech ("this paperwork is killing me") are never a crisis on their own.
FIGURE_OF_SPEECH = re.compile(
    r"\b(?:is|are|was|it'?s|its)\s+killing\s+me\b|\bdying\s+(?:to|for)\b|\bi'?d\s+die\s+for\b|"
    r"\bkiller\b|\bmurder\b|\bto\s+die\s+for\b|\bdied\s+laughing\b|\bdie\s+of\s+(?:embarrassment|shame|boredom|laughter)\b|"
    r"\bkilling\s+(?:my|the)\s+(?!self)\w+|\bshot\s+myself\s+in\s+the\s+foot\b|\bdead\s+tired\b|\b(?:lol|lmao|haha\w*)\b"
)

NOT_JOKING = re.compile(r"\bnot\s+(?:really\s+|even\s+)?(?:joking|kidding)\b|\bi'?m\s+serious\b|\bseriously\b")


@dataclass(frozen=True)
class Detection:
    rule: str
    matched: str
    source: str  # "pattern" or "classifier"

    def as_dict(self) -> Dict[str, str]:
        return {"rule": self.rule, "matched": self.matched, "source": self.source}


class CrisisRules:
    """The curated patterns; pure, so that they can be tested on their own."""

    def __init__(self, classifier_threshold: float) -> None:
        self.classifier_threshold = classifier_threshold
        self.strong: List[Tuple[str, Pattern[str]]] = [
            (name, re.compile(pattern)) for name, pattern in STRONG_PATTERNS
        ]
        self.other_languages: List[Tuple[str, Pattern[str]]] = [
            (name, re.compile(pattern)) for name, pattern in OTHER_LANGUAGE_CRISIS
        ]
        self.mentions: List[Tuple[str, Pattern[str]]] = [
            (name, re.compile(pattern)) for name, pattern in MENTION_PATTERNS
        ]

    def detect(
        self, text: str, crisis_score: float = 0.0, classifier_says_crisis: bool = False
    ) -> Optional[Detection]:
        message = normalise(text)
        if not message:
            return None
        danger = PRESENT_DANGER.search(message)
        if danger and NEGATED_MENTION.search(message):
            danger = None
        past = bool(PAST_CONTEXT.search(message)) and not danger and not PRESENT_MARKER.search(message)
        plain_letters = without_accents(message)
        for name, pattern in self.other_languages:
            found = pattern.search(plain_letters)
            if found:
                return Detection(f"other_language_{name}", found.group(0), "pattern")
        for name, pattern in self.strong:
            found = pattern.search(message)
            if found and not (past and name in PAST_EXCUSABLE):
                return Detection(name, found.group(0), "pattern")
        informational = past or bool(TREATMENT_WORDS.search(message) and QUESTION.search(message))
        for name, pattern in self.mentions:
            found = pattern.search(message)
            if not found:
                continue
            if danger:
                return Detection(f"{name}_present", danger.group(0), "pattern")
            if not (informational or QUESTION.search(message) or NEGATED_MENTION.search(message)):
                return Detection(name, found.group(0), "pattern")
        figure_of_speech = FIGURE_OF_SPEECH.search(message) and not NOT_JOKING.search(message)
        # A short message the classifier reads as a crisis without conviction is mostly words it does
        # not know (a name typed into a form, a date): the patterns speak for short messages.
        # A message that asks something needs the classifier's conviction too: a story ending in a
        # question about the topics is read by its question.
        classifier_reading = crisis_score >= self.classifier_threshold or (
            classifier_says_crisis and len(message.split()) >= MIN_WORDS_FOR_AN_UNSURE_READING
            and not QUESTION.search(message))
        if classifier_reading and not (
            informational or figure_of_speech or NEGATED_MENTION.search(message) or DOING_FINE.search(message)
            or ORDINARY_CONTEXT.search(message)
        ):
            return Detection("classifier_score", f"{crisis_score:.2f}", "classifier")
        return None


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class CrisisDetector(StatelessComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # The classifier's crisis probability above which a message counts as a crisis even
        # when no pattern matched.
        # fallback_threshold: the FallbackClassifier's; a next reading below it is a "did you mean".
        return {"classifier_threshold": 0.5, "fallback_threshold": 0.25}

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.rules = CrisisRules(float(config["classifier_threshold"]))
        self.fallback_threshold = float(config["fallback_threshold"])

    @staticmethod
    def crisis_score(message: Message) -> float:
        ranking = message.get(INTENT_RANKING_KEY) or []
        return max(
            (float(e.get("confidence") or 0.0) for e in ranking if e.get("name") == CRISIS_INTENT),
            default=0.0,
        )

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            ranking = [
                e for e in (message.get(INTENT_RANKING_KEY) or []) if e.get("name") != CRISIS_INTENT
            ]
            # An unsure crisis reading (the fallback replaced it) still counts as the classifier's
            # when it is not a mere guess about words the classifier does not know (names, dates).
            score = self.crisis_score(message)
            floor = UNSURE_CRISIS_FLOOR_QUESTION if QUESTION.search(normalise(message.get(TEXT) or "")) \
                else UNSURE_CRISIS_FLOOR
            unsure_crisis = top_reading(message) == CRISIS_INTENT and score >= floor
            classifier_says_crisis = (message.get(INTENT) or {}).get("name") == CRISIS_INTENT or unsure_crisis
            # A typed command ("/crisis") is nobody's words about themselves: the patterns alone
            # read it (a crisis written inside a payload is still caught).
            typed_command = bool(message.get(TYPED_COMMAND)) or (message.get(TEXT) or "").lstrip().startswith("/")
            detection = self.rules.detect(
                message.get(TEXT) or "", 0.0 if typed_command else score,
                classifier_says_crisis and not typed_command,
            )
            if detection is not None:
                override_reading(message, CRISIS_INTENT, DETECTION_KEY, detection.as_dict())
            elif (message.get(INTENT) or {}).get("name") == CRISIS_INTENT and ranking:
                # A figure of speech, a question about treatment or past history, or words the
                # classifier does not know (a name): its next reading answers it, if it is sure enough.
                unsure = {"name": "nlu_fallback", "confidence": self.fallback_threshold}
                next_reading = ranking[0] if (ranking[0].get("confidence") or 0) >= self.fallback_threshold else unsure
                message.set(INTENT, next_reading, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking if next_reading is ranking[0] else [unsure] + ranking,
                            add_to_output=True)
        return messages

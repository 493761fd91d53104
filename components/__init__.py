"""Custom Rasa components of the clinic assistant: NLU, policy, tracker store and lock store.

Rasa imports this package whenever it loads the assistant's model or endpoints, whatever the
command (`rasa run`, `rasa shell`, `rasa test`, Agent.load), so the changes to Rasa's behaviour are
applied here too, not only by the launcher (rasa_patches).
"""

import rasa_patches

rasa_patches.apply()

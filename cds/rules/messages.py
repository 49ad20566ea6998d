"""Fixed wording the rules put in an assessment: caveats, reasons and suggestion keys.

Cards and the CLI match on these constants rather than on copies of the text, so the
wording can change in one place. None of them carries a patient value.
"""

from __future__ import annotations

# caveats (Assessment.caveats)
FUNCTION_NOT_ASSESSED = "kidney function not assessed"
TREATMENT_HISTORY_NOT_FOUND = "treatment history not found"
SPOT_RATIO = "spot ratio, not 24-h"
FLARE_SINGLE_VALUE = "flare unconfirmed: single value"
FLARE_SHORT_WINDOW = "flare unconfirmed: values span less than 7 days"
RESPONSE_LOST = "response lost"
P_STALE = "latest proteinuria is older than 180 days"
PR_NEEDS_P0 = "partial response cannot be judged without a baseline proteinuria (P0)"
INDEX_FROM_CONDITION = "index date from the lupus nephritis diagnosis, not from treatment"
CURRENT_P_BEFORE_INDEX = "no proteinuria since the index date"

# reasons (Assessment.reason)
NOT_SLE = "no SLE or lupus nephritis diagnosis"
SLE_WITHOUT_RENAL_FINDINGS = "SLE without lupus nephritis diagnosis or renal findings"
NO_INDEX_DATE = "no index date: no induction treatment or dated lupus nephritis diagnosis found"
NO_P = "no proteinuria result"
NO_P_AT_6_MONTHS = "no proteinuria measured at 6 months"
NOT_YET_DUE = "fewer than 6 months since the index date: no response is not judged yet"
NO_RECENT_P = "no proteinuria since 90 days before the index date"
ENTRY_BELOW = "below the trial's entry proteinuria"
ENTRY_NO_P0 = "below the trial's entry proteinuria: no baseline proteinuria (P0) found"
KIDNEY_FAILURE = "kidney failure: response, flare and refractory status are not judged"
LOST = "a complete or partial response reached after the index date has been lost"

# suggestion keys (Assessment.suggestions), in display order
UPCR = "upcr"
CREATININE = "creatinine"
URINALYSIS = "urinalysis"
COMPLEMENT = "complement"
ANTI_DSDNA = "anti-dsdna"
SUGGESTION_ORDER = (UPCR, CREATININE, URINALYSIS, COMPLEMENT, ANTI_DSDNA)

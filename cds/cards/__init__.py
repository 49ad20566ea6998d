"""Assessment → CDS Hooks cards (pure apart from the templates compiled at start-up)."""

from cds.cards.builder import CARD_STATUSES, CardBuilder, CardContext, indicator_for

__all__ = ["CARD_STATUSES", "CardBuilder", "CardContext", "indicator_for"]

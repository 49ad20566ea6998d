"""The Flask web edge: CDS Hooks routes, request validation, errors, auth hook point."""

"""HAPI FHIR integration tests: the production service (gunicorn) against a real FHIR server."""

"""Data only: the demo cohort's FHIR bundles, `expected.json` and README.

A package (rather than a plain folder) so that the JSON files ship in wheels through the
project's `package-data` patterns; read them with `cds.demo.load_cohort()`.
"""

"""Clinical safety engine: cited rules (data) evaluated over ``PatientFacts``."""

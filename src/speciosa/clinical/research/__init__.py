"""Pure research core: eligibility, randomization, visits, adverse events, stopping rules,
de-identification and analysis. No Django imports; the research app calls into here."""

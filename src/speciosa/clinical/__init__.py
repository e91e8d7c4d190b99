"""Pure clinical domain core. No Django imports here (a test enforces it)."""

"""Speciosa: kratom- and ADHD-aware clinical platform for addiction-treatment programs."""

__version__ = "0.1.0"

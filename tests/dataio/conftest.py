"""Helpers for dataio tests: write small CSV files."""

import csv

import pytest


def write_csv(path, header, rows):
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def patients_csv(tmp_path):
    return write_csv(
        tmp_path / "patients.csv",
        ["mrn", "given_name", "family_name", "birth_date", "sex_at_birth"],
        [
            ["P1", "Ana", "Lima", "1988-02-03", "female"],
            ["P2", "Ben", "Okafor", "1979-11-30", "male"],
            ["P3", "Cy", "Park", "2199-01-01", "male"],  # future birth date
            ["P4", "Di", "Ruiz", "1990-13-01", "female"],  # no month 13
            ["P5", "Ed", "Shaw", "1970-06-15", "robot"],  # not a sex choice
        ],
    )

import pytest


@pytest.fixture
def phq9_answers():
    """PHQ-9 total 20 (severe), item 9 = 0."""
    values = [3, 3, 3, 3, 2, 2, 2, 2, 0]
    return {f"phq9-{n}": v for n, v in enumerate(values, 1)}

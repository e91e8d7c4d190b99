"""Citations carried by every clinical fact, rule, cut-off and evidence grade."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator


class Citation(BaseModel):
    """A published source. At least one of DOI, PMID or an official URL is required."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    authors: str
    year: int
    title: str
    source: str  # journal, publisher or agency
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None
    note: str | None = None  # e.g. which table/page supports the fact

    @model_validator(mode="after")
    def _has_locator(self) -> Citation:
        if not (self.doi or self.pmid or self.url):
            raise ValueError(f"citation {self.title!r} needs a DOI, PMID or official URL")
        return self

    def short(self) -> str:
        first = self.authors.split(",")[0].strip()
        locator = f"doi:{self.doi}" if self.doi else f"PMID {self.pmid}" if self.pmid else self.url
        return f"{first} ({self.year}). {self.title}. {self.source}. {locator}"

"""One matcher for every place two firms are compared: normal forms, name parts, verdicts."""

from core.matching.normalising import (
    company_similarity,
    distinctive_part,
    match_score,
    normalise_company,
    normalise_email,
    normalise_phone,
    similarity_of_keys,
)

__all__ = [
    "company_similarity",
    "distinctive_part",
    "match_score",
    "normalise_company",
    "normalise_email",
    "normalise_phone",
    "similarity_of_keys",
]

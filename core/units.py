"""Land-area units: the one exact conversion between mu, square metres and hectares."""

from decimal import Decimal

M2_PER_MU = Decimal(2000) / Decimal(3)


def mu_to_m2(mu: Decimal | int | float | str) -> Decimal:
    """1 mu = 2000/3 m², rounded to the square centimetre we store."""
    return (Decimal(str(mu)) * 2000 / 3).quantize(Decimal("0.01"))


def m2_to_mu(m2: Decimal) -> Decimal:
    return (Decimal(m2) * 3 / 2000).quantize(Decimal("0.01"))


def m2_to_ha(m2: Decimal) -> Decimal:
    return (Decimal(m2) / 10000).quantize(Decimal("0.0001"))

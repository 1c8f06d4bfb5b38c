"""Land-area conversion is exact and formatted per language."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from core.i18n import area, money, money_compact
from core.units import m2_to_ha, m2_to_mu, mu_to_m2


@pytest.mark.parametrize(
    ("mu", "m2"), [(15, "10000.00"), (1, "666.67"), (45, "30000.00"), ("37.5", "25000.00")]
)
def test_mu_to_square_metres(mu, m2):
    assert mu_to_m2(mu) == Decimal(m2)


def test_round_trip_and_hectares():
    assert m2_to_mu(Decimal("10000")) == Decimal("15.00")
    assert m2_to_ha(Decimal("30000")) == Decimal("3.0000")


def test_area_is_mu_in_chinese_and_hectares_elsewhere(app):
    with app.test_request_context():
        with force_locale("zh"):
            assert area(Decimal("30000")).startswith("45")
        with force_locale("de"):
            assert area(Decimal("30000")) == "3,00 ha (30.000 m²)"
        with force_locale("en"):
            assert area(Decimal("30000")) == "3.00 ha (30,000 m²)"


def test_money_is_formatted_by_babel(app):
    with app.test_request_context():
        with force_locale("de"):
            assert money(180000) == "180.000\xa0CN¥"
            assert money_compact(500_000_000) == "500\xa0Mio.\xa0CN¥"
        with force_locale("zh"):
            assert money_compact(500_000_000) == "¥5亿"

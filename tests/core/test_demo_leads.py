"""The demo pipeline `make run` loads: once, with histories, and matched by the demo fair file."""

from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import func, select

from core.extensions import db
from core.imports import check_rows, read_table, suggest_mapping
from core.models import Event, Lead, StageChange
from demo.leads import DEMO_LEADS

FAIR_FILE = Path(__file__).resolve().parents[1] / "data" / "fair_500_gb18030.csv"


def test_load_demo_makes_a_pipeline_once_that_the_fair_file_matches(app, demo):
    assert f"demo leads: {len(DEMO_LEADS)} created" in demo
    assert "demo leads: 0 created" in app.test_cli_runner().invoke(args=["load-demo"]).output
    with app.app_context():
        # The demo year's projects (demo/projects.py) bring leads of their own.
        names = [row[0] for row in DEMO_LEADS]
        leads = db.session.scalars(
            select(Lead).where(Lead.company_name.in_(names)).order_by(Lead.id)
        ).all()
        assert len(leads) == len(DEMO_LEADS)
        assert {lead.stage for lead in leads} >= {"new", "contacted", "signed", "lost"}
        for lead in leads:
            history = db.session.scalars(
                select(StageChange.to_stage)
                .where(StageChange.lead_id == lead.id)
                .order_by(StageChange.at, StageChange.id)
            ).all()
            assert history[0] == "new" and history[-1] == lead.stage, lead.company_name
        june = db.session.scalar(select(Event).where(Event.slug == "chengdu-presentation-2026-06"))
        captured = db.session.scalar(
            select(func.count()).select_from(Lead).where(Lead.event_id == june.id)
        )
        assert captured >= 5
        assert all(lead.lost_reason_id for lead in leads if lead.stage == "lost")
        assert any(lead.liaison_id for lead in leads)
    with app.test_request_context(), force_locale("en"):
        table = read_table(FAIR_FILE.read_bytes(), FAIR_FILE.name)
        checked = check_rows(table, suggest_mapping(table.headers))
        matched = {row.match.lead_id for row in checked if row.match and row.match.lead_id}
    assert len(matched) >= 5  # under their English names as well as their Chinese ones

"""plot planning conditions (plot ratio, density, green ratio, height, intensity, tax per mu);
inquiry.wishes (a land filter that found nothing, preferred meeting times at a fair)

Revision ID: places0001
Revises: density0001
Create Date: 2026-12-07 14:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'places0001'
down_revision = "notify0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plot_ratio_min', sa.Numeric(4, 2), nullable=True))
        batch_op.add_column(sa.Column('plot_ratio_max', sa.Numeric(4, 2), nullable=True))
        batch_op.add_column(sa.Column('building_density_min', sa.Numeric(5, 2), nullable=True))
        batch_op.add_column(sa.Column('green_ratio_max', sa.Numeric(5, 2), nullable=True))
        batch_op.add_column(sa.Column('height_limit_m', sa.Numeric(6, 1), nullable=True))
        batch_op.add_column(sa.Column('investment_intensity_min', sa.Numeric(10, 2), nullable=True))
        batch_op.add_column(sa.Column('tax_per_mu_min', sa.Numeric(10, 2), nullable=True))
        batch_op.create_index(batch_op.f('ix_plot_investment_intensity_min'), ['investment_intensity_min'], unique=False)
        batch_op.create_index(batch_op.f('ix_plot_tax_per_mu_min'), ['tax_per_mu_min'], unique=False)
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wishes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_column('wishes')
    with op.batch_alter_table('plot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plot_tax_per_mu_min'))
        batch_op.drop_index(batch_op.f('ix_plot_investment_intensity_min'))
        batch_op.drop_column('tax_per_mu_min')
        batch_op.drop_column('investment_intensity_min')
        batch_op.drop_column('height_limit_m')
        batch_op.drop_column('green_ratio_max')
        batch_op.drop_column('building_density_min')
        batch_op.drop_column('plot_ratio_max')
        batch_op.drop_column('plot_ratio_min')

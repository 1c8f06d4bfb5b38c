"""The application factory: config, extensions, blueprints, error pages."""

import gc

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core import config as config_module


def create_app(overrides: dict | None = None) -> Flask:
    # Static files belong to the blueprints (root serves /static/site/, the CRM /crm/static/).
    app = Flask(__name__, instance_path=str(config_module.ROOT / "instance"), static_folder=None)
    app.config.update(config_module.from_env())
    app.config.update(overrides or {})
    from core import checks

    # Before anything is set up: an unsafe configuration (APP_ENV=Production, production without
    # DATABASE_URL, …) never serves a request; every problem is listed in one message.
    warnings = checks.at_start(app)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
    )
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=app.config["PROXY_FIX"],
            x_proto=1,
            x_host=app.config["PROXY_FIX_HOST"],
        )

    from core import (
        cli,
        content,
        edge,
        errors,
        health,
        i18n,
        images,
        jobs,
        logs,
        metrics,
        security,
        static_urls,
        throttle,
        unit_of_work,
        uploads,
    )
    from core.extensions import babel, csrf, db, login_manager, mail, migrate

    logs.init_app(app)
    for warning in warnings:
        logs.warn_config(warning.message)
    logs.init_sentry(app)
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(config_module.ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    throttle.init_app(app)  # Flask-Limiter, with Retry-After as views set it
    i18n.init_app(app)
    content.init_app(app)
    images.init_app(app)
    security.init_app(app)
    static_urls.init_app(app)
    edge.init_app(app)
    errors.init_app(app)
    uploads.init_app(app)
    unit_of_work.init_app(app)
    jobs.init_app(app)
    cli.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
    _sqlite_pragmas(app)

    from crm import create_blueprint as create_crm_blueprint
    from public_site import bp as site_bp
    from public_site import root_bp

    app.register_blueprint(root_bp)
    app.register_blueprint(site_bp)
    app.register_blueprint(create_crm_blueprint())
    logs.wrap(app)  # outside the page cache (registered with the site) and ProxyFix
    # What start-up loaded (the pinyin dictionary, locale data, the content) lives as long as the
    # process: kept out of the collector's way, a full collection takes a few ms instead of ~100.
    gc.freeze()
    return app


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and a busy timeout so readers and one writer coexist on the embedded database; foreign
    keys enforced; deleted content overwritten."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    from core.extensions import db

    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Anonymised and deleted personal data is overwritten with zeros, not left readable
            # in free space of the file (docs/BACKUP.md has the cost measured).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

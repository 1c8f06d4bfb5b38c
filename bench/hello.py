"""The baseline: a bare Flask hello-world served under the same gunicorn settings as the app."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"

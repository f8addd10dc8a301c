"""The public pages: status, incidents, maintenance, history, components."""
from flask import Blueprint, render_template, request

from .. import clock
from ..models import IncidentKind
from ..services import page
from ..services.incidents import get_incident
from . import charts
from .bar_views import BarView, PageWords
from .cache import history_pages, request_version
from .page_choice import current_page, page_component, shown_incident
from .times import PageTimes

bp = Blueprint("public", __name__)


def _tz():
    return current_page().tz


@bp.get("/")
def index():
    home = page.home_page(now=clock.now(), tz=_tz(), page=current_page(), version=request_version())
    words = PageWords()  # one lookup of the language for all the bars
    bars = {component_id: BarView(bar, words, past) for component_id, (bar, past) in home.bars.items()}
    return render_template("public/index.html", home=home, bars=bars, times=PageTimes(home.tz))


@bp.get("/incidents/<id:incident_id>")
def incident(incident_id: int):
    return render_template("public/incident.html", incident=shown_incident(get_incident(incident_id)))


@bp.get("/maintenance/<id:maintenance_id>")
def maintenance(maintenance_id: int):
    return render_template("public/incident.html",
                           incident=shown_incident(get_incident(maintenance_id, IncidentKind.MAINTENANCE), published_only=False))


@bp.get("/history")
def history():
    """The page asked for, within the pages there are (the cache keys it the same way: web/cache.py)."""
    number = page.history_page_number(request.args.get("page"), history_pages())
    return render_template("public/history.html", history=page.history_page(number, now=clock.now(), tz=_tz(),
                                                                            on=current_page()))


@bp.get("/components/<slug>")
def component(slug: str):
    view = page.component_page(page_component(slug), now=clock.now(), tz=_tz(), version=request_version())
    return render_template("public/component.html", view=view, component=view.component, incidents=view.incidents,
                           chart=charts, bar=BarView(view.bar, PageWords(), view.past))

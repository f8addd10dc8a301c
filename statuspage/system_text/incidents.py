"""The words of incidents the system opens itself (health checks, the ticket intake), in every language.

Each function returns {"en": ..., "de": ..., "fr": ...}; services/incidents.py keeps the default language's
text as the name or body and the whole as its translations. Names people gave (components, checks) and
the checks' error lines go in as they are, the latter said in each language (check_errors.describe).
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from ..models import ComponentStatus
from . import N_, check_errors, every_language

SAYS = {  # a component's failure, in an incident's title
    ComponentStatus.DEGRADED_PERFORMANCE: N_("%(component)s is slow or partly failing"),
    ComponentStatus.PARTIAL_OUTAGE: N_("%(component)s is partly unavailable"),
    ComponentStatus.MAJOR_OUTAGE: N_("%(component)s is unavailable"),
}


def _error(line: str | None, language: str) -> str:
    return check_errors.describe(line, language) if line else _(check_errors.NO_ANSWER)


def check_failing_name(component: str, status: ComponentStatus) -> dict[str, str]:
    """An automatic incident's title: "API is unavailable"."""
    return every_language(lambda _language: _(SAYS[status], component=component))


def check_failed_body(check: str, failures: int, error: str | None) -> dict[str, str]:
    """An automatic incident's first update: which check failed, how often, and how."""
    def say(language):
        return ngettext("Our automatic check “%(check)s” has failed %(num)d time in a row (%(error)s). "
                        "We are investigating.",
                        "Our automatic check “%(check)s” has failed %(num)d times in a row (%(error)s). "
                        "We are investigating.", failures, check=check, error=_error(error, language))
    return every_language(say)


def check_failing_again_body(check: str, error: str | None) -> dict[str, str]:
    return every_language(lambda language: _("Our automatic check “%(check)s” is failing again (%(error)s).",
                                    check=check, error=_error(error, language)))


def check_passed_body(check: str, successes: int, component: str, *, resolved: bool) -> dict[str, str]:
    """Recovery: resolved, or (STATUSPAGE_CHECKS_AUTO_RESOLVE=0, or another component still failing) watched."""
    def say(language):
        passed = ngettext("Our automatic check “%(check)s” has passed %(num)d time in a row: "
                          "%(component)s is working again.",
                          "Our automatic check “%(check)s” has passed %(num)d times in a row: "
                          "%(component)s is working again.", successes, check=check, component=component)
        return passed if resolved else " ".join((passed, _("We are monitoring the situation.")))
    return every_language(say)


def suspected_name(component: str) -> dict[str, str]:
    """A suspected incident's title (opened from support tickets)."""
    return every_language(lambda _language: _("%(component)s: problems reported by customers", component=component))


def suspected_body(tickets: int, component: str, minutes: int) -> dict[str, str]:
    return every_language(lambda _language: ngettext(
        "%(num)d customer reported problems with %(component)s in the last %(minutes)d minutes. "
        "We are investigating.",
        "%(num)d customers reported problems with %(component)s in the last %(minutes)d minutes. "
        "We are investigating.", tickets, component=component, minutes=minutes))


def merged_body(into_id: int, into_names: dict[str, str], opened_by: str, moved: int) -> dict[str, str]:
    """A suspected incident closed into the one a health check opened (its title in each language)."""
    return every_language(lambda language: ngettext(
        "Merged into incident #%(id)d (%(name)s), which %(by)s opened; %(num)d linked ticket moved there.",
        "Merged into incident #%(id)d (%(name)s), which %(by)s opened; %(num)d linked tickets moved there.",
        moved, id=into_id, name=into_names.get(language, ""), by=opened_by))



def alert_firing_body(component: str) -> dict[str, str]:
    """The first update of an incident an alert opened (Alertmanager, Grafana): the alert's own words stay
    in the console, since alert names and annotations are written for engineers, not for the public page."""
    return every_language(lambda _language: _("Our monitoring reports a problem with %(component)s. "
                                              "We are investigating.", component=component))


def alert_failing_again_body(component: str) -> dict[str, str]:
    return every_language(lambda _language: _("Our monitoring reports that %(component)s is failing again.",
                                              component=component))


def alert_resolved_body(component: str, *, resolved: bool) -> dict[str, str]:
    """Every alert of the component has resolved: resolved, or watched while another component still fails."""
    def say(_language):
        back = _("Our monitoring no longer reports a problem: %(component)s is working again.", component=component)
        return back if resolved else " ".join((back, _("We are monitoring the situation.")))
    return every_language(say)

"""The permission matrix (AC-1, AC-7, AC-8, AC-10): every persona × every route ×
petitions in several states. The URL configuration is walked, so a new route
without an entry in ROUTES fails `test_every_route_is_in_the_matrix`.

Expected answers follow one policy: not visible → 404 (the same as missing);
visible but not allowed → 403 (or 409 where the state refuses first); signed
out → the sign-in page (web) or 401 (API). Refused writes change nothing.
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from tests.api.conftest import PDF
from tests.security.conftest import PERSONAS
from xinfang.accounts.models import LEADER_ROLES, OFFICE_ROLES, ApiToken, Role
from xinfang.petitions.models import Petition
from xinfang.petitions.permissions import can_see_personal_data, can_view


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p.name


@dataclass
class Case:
    user: object  # None for the anonymous visitor
    petition: Petition | None

    @property
    def anonymous(self):
        return self.user is None

    @property
    def visible(self):
        return self.user is not None and can_view(self.user, self.petition)

    def role(self, *roles):
        return self.user is not None and self.user.has_role(*roles)


def web_page(case):  # any signed-in person
    return {302} if case.anonymous else {200}


def web_office_page(case):
    if case.anonymous:
        return {302}
    return {200} if case.role(*OFFICE_ROLES) else {403}


def web_petition_read(case):
    return {302} if case.anonymous else ({200} if case.visible else {404})


def web_personal_data(case):
    if case.anonymous:
        return {302}
    if not case.visible:
        return {404}
    return {200} if can_see_personal_data(case.user, case.petition) else {403}


def web_correct(case):
    if case.anonymous:
        return {302}
    if not case.visible:
        return {404}
    if not case.role(*OFFICE_ROLES):
        return {403}
    return {200} if case.petition.status == "registered" else {200, 409}


def web_upload(case):
    if case.anonymous:
        return {302}
    if not case.visible:
        return {404}
    if case.petition.status == "closed":
        return {403, 409}
    return {200, 201, 302}


def audit_page(case):
    if case.anonymous:
        return {302}
    return {200} if case.role(Role.AUDIT_ADMIN) else {403}


def api_any(case):
    return {401} if case.anonymous else {200}


def api_petition_read(case):
    return {401} if case.anonymous else ({200} if case.visible else {404})


def api_audit(case):
    return {401} if case.anonymous else ({200} if case.role(Role.AUDIT_ADMIN) else {403})


def api_register(case):
    return {401} if case.anonymous else ({201} if case.role(*OFFICE_ROLES) else {403})


def api_office(case):  # office staff and leaders only, no petition involved (suggestions)
    return {401} if case.anonymous else ({200} if case.role(*OFFICE_ROLES) else {403})


def api_patch(case):
    if case.anonymous:
        return {401}
    if not case.visible:
        return {404}
    if not case.role(*OFFICE_ROLES):
        return {403}
    return {200} if case.petition.status == "registered" else {409}


def api_action_flag_urgent(case):
    """A side action open to staff in every open state; leaders and clerks may, others not."""
    if case.anonymous:
        return {401}
    if not case.visible:
        return {404}
    if case.petition.status == "closed":
        return {409}
    return {200} if case.role(*OFFICE_ROLES) else {403}


def api_upload(case):
    if case.anonymous:
        return {401}
    if not case.visible:
        return {404}
    return {409} if case.petition.status == "closed" else {201}


def web_action_form(case):
    if case.anonymous:
        return {302}
    if not case.visible:
        return {404}
    if case.petition.status == "closed":
        return {409}
    return {200} if case.role(*OFFICE_ROLES) else {403}


def web_queue(case):  # /queues/to_propose/: the clerks' queue
    if case.anonymous:
        return {302}
    return {200} if case.role(Role.CLERK) else {404}


def web_redirect(case):  # POST forms that answer with a redirect
    return {302}


def web_missing_notification(case):
    return {302} if case.anonymous else {404}


def web_deadline_change(case):
    """Only a leader changes a clock; a met clock (the closed petition's) refuses."""
    if case.anonymous:
        return {302}
    if not case.visible:
        return {404}
    if not case.role(*LEADER_ROLES):
        return {403}
    return {409} if case.petition.status == "closed" else {302, 409}


def web_supervise(case):
    if case.anonymous:
        return {302}
    if not case.visible:
        return {404}
    if not case.role(*OFFICE_ROLES):
        return {403}
    return {302} if case.petition.status == "assigned" else {400, 409}


def web_missing_supervision(case):
    # An unknown supervision on a visible petition is a plain input error; nothing to learn.
    if case.anonymous:
        return {302}
    return {400, 403} if case.visible else {404}


def api_deadline_change(case):
    if case.anonymous:
        return {401}
    if not case.visible:
        return {404}
    if not case.role(*LEADER_ROLES):
        return {403}
    # The first leader pauses the clock (the web form, just before); the others find it paused.
    return {409} if case.petition.status == "closed" else {200, 409}


def api_missing_supervision(case):
    if case.anonymous:
        return {401}
    return {400, 403} if case.visible else {404}


def api_document_generate(case):
    """The registration form: office staff make it in any state but void; others may not."""
    if case.anonymous:
        return {401}
    if not case.visible:
        return {404}
    return {201} if case.role(*OFFICE_ROLES) else {403}


def api_document_read(case):
    """The office's registration form: office staff read it; a unit's handler never does."""
    if case.anonymous:
        return {401}
    return {200} if case.visible and case.role(*OFFICE_ROLES) else {404}


def api_document_delivery(case):
    """Clerks record deliveries; the registration form is not delivered (400)."""
    if case.anonymous:
        return {401}
    if not (case.visible and case.role(*OFFICE_ROLES)):
        return {404}
    return {400} if case.role(Role.CLERK) else {403}


def web_document_read(case):
    if case.anonymous:
        return {302}
    return {200} if case.visible and case.role(*OFFICE_ROLES) else {404}


def web_document_form(case):  # the panel's forms answer with a redirect (errors as messages)
    return {302} if case.anonymous or case.visible else {404}


def web_document_delivery(case):
    if case.anonymous:
        return {302}
    return {302} if case.visible and case.role(*OFFICE_ROLES) else {404}


def web_masters(case):
    if case.anonymous:
        return {302}
    return {200} if case.role(Role.SYSTEM_ADMIN) else {403}


def api_master(case):
    if case.anonymous:
        return {401}
    return {200} if case.role(Role.SYSTEM_ADMIN) else {403}


def statistics_reader(case):
    """Office staff and handling units count what they may see; administrators nothing."""
    return case.role(*OFFICE_ROLES) or (case.role(Role.HANDLER) and case.user.unit_id is not None)


def api_statistics(case):
    return {401} if case.anonymous else ({200} if statistics_reader(case) else {403})


def api_import(case):
    # A dry run of a file without a heading row: 400 for those who may import, nothing written.
    return {401} if case.anonymous else ({400} if case.role(*OFFICE_ROLES) else {403})


def web_statistics(case):
    return {302} if case.anonymous else ({200} if statistics_reader(case) else {403})


def web_import(case):
    return {302} if case.anonymous else ({200} if case.role(*OFFICE_ROLES) else {403})


def web_missing_export(case):
    return {302} if case.anonymous else ({404} if statistics_reader(case) else {403})


def public(case):
    return {200, 302}


def setlang(case):
    return {302}


def api_token(case):
    return {200, 401}


def logout(case):
    return {302}


def portal_public(case):  # the public portal: no account, the same for everyone
    return {200}


def portal_gone(case):  # a missing or used CAPTCHA image (django-simple-captcha answers 410)
    return {404, 410}


def portal_wrong_code(case):  # a wrong code answers 404 to everyone; repeated, 429
    return {404, 429}


def web_intake_missing(case):  # /intake/<missing id>/: office staff 404, others 403
    if case.anonymous:
        return {302}
    return {404} if case.role(*OFFICE_ROLES) else {403}


def api_intake(case):
    return {401} if case.anonymous else ({200} if case.role(*OFFICE_ROLES) else {403})


def api_intake_missing(case):
    return {401} if case.anonymous else ({404} if case.role(*OFFICE_ROLES) else {403})


# route name → [(method, path template, body, expectation)]; {n} is the petition number,
# {a} one of its attachments, {d} one of its official documents (the registration form). Petition-free routes ignore the petition.
ROUTES = {
    "set_language": [("post", "/i18n/setlang/", {"language": "en"}, setlang)],
    "api-token": [("post", "/api/v1/auth/token", {"username": "clerk", "password": "x"}, api_token)],
    "api-me": [("get", "/api/v1/me", None, api_any)],
    "api-units": [("get", "/api/v1/units", None, api_any)],
    "api-categories": [("get", "/api/v1/categories", None, api_any)],
    "api-petitions": [
        ("get", "/api/v1/petitions", None, api_any),
        ("post", "/api/v1/petitions", "petition", api_register),
    ],
    "api-petition": [
        ("get", "/api/v1/petitions/{n}", None, api_petition_read),
        ("patch", "/api/v1/petitions/{n}", {"title": "改"}, api_patch),
    ],
    # One action here; all 23, each with its exact status per persona and state: test_action_matrix.py.
    "api-petition-action": [
        ("post", "/api/v1/petitions/{n}/actions/flag_urgent", {"reason": "紧急"}, api_action_flag_urgent)
    ],
    "api-petition-events": [("get", "/api/v1/petitions/{n}/events", None, api_petition_read)],
    "api-petition-attachments": [("post", "/api/v1/petitions/{n}/attachments", "file", api_upload)],
    "api-petition-attachment": [("get", "/api/v1/petitions/{n}/attachments/{a}", None, api_petition_read)],
    "api-queues": [("get", "/api/v1/queues", None, api_any)],
    "api-notifications": [("get", "/api/v1/notifications", None, api_any)],
    "api-notifications-read": [("post", "/api/v1/notifications/read", {}, api_any)],
    "api-audit-access-log": [("get", "/api/v1/audit/access-log", None, api_audit)],
    "api-audit-events": [("get", "/api/v1/audit/events", None, api_audit)],
    "api-statistics": [("get", "/api/v1/statistics?group_by=unit", None, api_statistics)],
    "api-ledger-export": [("get", "/api/v1/petitions/export?format=csv", None, api_statistics)],
    "api-imports": [("post", "/api/v1/imports", "ledger", api_import)],
    "api-schema": [("get", "/api/v1/schema/", None, public)],
    "api-schema-ui": [("get", "/api/v1/schema/ui/", None, public)],
    "login": [("get", "/accounts/login/", None, public)],
    "logout": [("post", "/accounts/logout/", {}, logout)],
    # The second sign-in steps answer only a sign-in in progress; otherwise back to step one.
    "login_code": [("get", "/accounts/login/code/", None, public)],
    "two_factor_setup": [("get", "/accounts/two-factor/", None, public)],
    "password_change": [("get", "/accounts/password/", None, web_page)],
    "audit_access_log": [("get", "/audit/", None, audit_page)],
    "audit_access_log_csv": [("get", "/audit/access-log.csv", None, audit_page)],
    "audit_events": [("get", "/audit/events/", None, audit_page)],
    "statistics": [("get", "/statistics/", None, web_statistics)],
    "standard_report": [("get", "/statistics/report/?period=2026-11", None, web_statistics)],
    "ledger_export": [("get", "/ledger/export/?format=csv", None, web_statistics)],
    "ledger_export_status": [
        ("get", "/ledger/exports/00000000-0000-0000-0000-000000000000/", None, web_missing_export)
    ],
    "ledger_export_download": [
        ("get", "/ledger/exports/00000000-0000-0000-0000-000000000000/download/", None, web_missing_export)
    ],
    "ledger_import": [("get", "/ledger/import/", None, web_import)],
    "ledger_import_template": [("get", "/ledger/import/template.xlsx", None, web_import)],
    "home": [("get", "/", None, web_page)],
    "petition_list": [("get", "/petitions/", None, web_page)],
    "register": [("get", "/petitions/new/", None, web_office_page)],
    "petition": [("get", "/petitions/{n}/", None, web_petition_read)],
    "correct": [("get", "/petitions/{n}/edit/", None, web_correct)],
    "personal_data": [("get", "/petitions/{n}/personal-data/", None, web_personal_data)],
    "attachment_upload": [("post", "/petitions/{n}/attachments/", "file", web_upload)],
    "attachment_download": [("get", "/petitions/{n}/attachments/{a}/", None, web_petition_read)],
    "petition_action": [("get", "/petitions/{n}/actions/flag_urgent/", None, web_action_form)],
    "queue": [("get", "/queues/to_propose/", None, web_queue)],
    "notifications": [("get", "/notifications/", None, web_page)],
    "notifications_read": [("post", "/notifications/read/", {}, web_redirect)],
    "notification_open": [("get", "/notifications/999999/", None, web_missing_notification)],
    "deadline_lists": [("get", "/deadlines/", None, web_page)],
    "outstanding": [("get", "/outstanding/", None, web_office_page)],
    "deadline_action": [
        ("post", "/petitions/{n}/deadlines/reply/pause/", {"reason": "等待鉴定"}, web_deadline_change)
    ],
    "supervise": [("post", "/petitions/{n}/supervisions/", "supervision", web_supervise)],
    "supervision_respond": [
        ("post", "/petitions/{n}/supervisions/999999/respond/", {"response": "已办"}, web_missing_supervision)
    ],
    "api-deadlines": [("get", "/api/v1/deadlines", None, api_any)],
    "api-deadline-action": [
        ("post", "/api/v1/petitions/{n}/deadlines/reply/pause", {"reason": "等待鉴定"}, api_deadline_change)
    ],
    # Search (issue 10): suggestions and the intake panel are the registering staff's; the
    # similar petitions they list are filtered by visible_to (tests/search/test_intake.py).
    "api-suggestions": [
        ("post", "/api/v1/suggestions", {"title": "电梯", "content": "电梯停运"}, api_office)
    ],
    "search_intake_panel": [("post", "/search/intake-panel/", {"title": "电梯"}, web_office_page)],
    "search_recurring": [("get", "/search/recurring/", None, web_office_page)],
    "portal_notice": [("get", "/portal/", None, portal_public)],
    "portal_submit": [("get", "/portal/submit", None, portal_public)],
    "portal_status": [("get", "/portal/status", None, portal_public)],
    "portal_document": [("post", "/portal/documents/0", {}, portal_wrong_code)],
    "portal_captcha": [("get", "/portal/captcha/0000.png", None, portal_gone)],
    "portal_intake": [("get", "/intake/", None, web_office_page)],
    "portal_intake_detail": [("get", "/intake/999999/", None, web_intake_missing)],
    "portal_intake_file": [("get", "/intake/999999/files/1/", None, web_intake_missing)],
    "api-portal-status": [
        ("post", "/api/v1/portal/status", {"query_code": "WS0", "secret": "x"}, portal_wrong_code)
    ],
    "api-portal-rating": [
        ("post", "/api/v1/portal/rating", {"query_code": "WS0", "secret": "x"}, portal_wrong_code)
    ],
    "api-intake": [("get", "/api/v1/intake", None, api_intake)],
    "api-rating-statistics": [("get", "/api/v1/ratings/statistics", None, api_any)],
    "api-intake-accept": [("post", "/api/v1/intake/999999/accept", {}, api_intake_missing)],
    "api-intake-decline": [("post", "/api/v1/intake/999999/decline", {"reason": "x"}, api_intake_missing)],
    "api-intake-link": [("post", "/api/v1/intake/999999/link", {"number": "XF"}, api_intake_missing)],
    "api-supervisions": [("get", "/api/v1/petitions/{n}/supervisions", None, api_petition_read)],
    "api-supervision-response": [
        (
            "post",
            "/api/v1/petitions/{n}/supervisions/999999/response",
            {"response": "已办"},
            api_missing_supervision,
        )
    ],
    "api-document-types": [("get", "/api/v1/document-types", None, api_any)],
    "api-document-master": [("get", "/api/v1/document-types/acceptance_notice/master", None, api_master)],
    "api-document-master-revert": [
        ("post", "/api/v1/document-types/acceptance_notice/master/revert", {}, api_master)
    ],
    "api-petition-documents": [
        ("get", "/api/v1/petitions/{n}/documents", None, api_petition_read),
        ("post", "/api/v1/petitions/{n}/documents", {"type": "registration_form"}, api_document_generate),
    ],
    "api-petition-document-file": [
        ("get", "/api/v1/petitions/{n}/documents/{d}/docx", None, api_document_read)
    ],
    "api-petition-document-deliveries": [
        ("post", "/api/v1/petitions/{n}/documents/{d}/deliveries", {"method": "post"}, api_document_delivery)
    ],
    "document_masters": [("get", "/documents/masters/", None, web_masters)],
    "petition_documents": [
        ("get", "/petitions/{n}/documents/", None, web_document_form),
        ("post", "/petitions/{n}/documents/", {"type": "registration_form"}, web_document_form),
    ],
    "petition_document_file": [("get", "/petitions/{n}/documents/{d}/docx/", None, web_document_read)],
    "petition_document_delivery": [
        (
            "post",
            "/petitions/{n}/documents/deliveries/",
            {"document": "{d}", "method": "post"},
            web_document_delivery,
        )
    ],
}
# The admin site is the system administrator's (tests/accounts/test_admin.py) and is
# checked here by prefix: everyone else is sent to its sign-in page.
ADMIN_PREFIX = "admin/"


def test_every_route_is_in_the_matrix():
    names = {name for route, name in walk(get_resolver().url_patterns) if not route.startswith(ADMIN_PREFIX)}
    assert names - set(ROUTES) == set(), "add the new route(s) to ROUTES"
    assert set(ROUTES) - names == set(), "ROUTES names a route that no longer exists"


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api_client(user):
    if user is None:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)[1]}")


def _body(kind):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.api.conftest import body

    if kind == "file":
        return {"file": SimpleUploadedFile("more.pdf", PDF)}, None
    if kind == "petition":
        return body(), "application/json"
    if kind == "ledger":
        return {"file": SimpleUploadedFile("ledger.csv", "甲,乙\n1,2\n".encode()), "dry_run": "true"}, None
    if kind == "supervision":
        from xinfang.accounts.models import Unit

        unit = Unit.objects.get(code="HOUSING").pk
        return {"unit": unit, "kind": "reminder", "message": "请加快办理", "due_date": "2030-01-31"}, None
    return kind, "application/json"


def _fingerprint(petition):
    petition.refresh_from_db()
    return (
        petition.status,
        petition.title,
        petition.urgent,
        petition.events.count(),
        petition.attachments.count(),
    )


@pytest.mark.parametrize("state", ["registered", "assigned", "closed"])
def test_matrix(world, state):
    """One test per state, every persona inside it (the world is costly to build)."""
    users, _units, petitions = world
    failures = []
    for persona, username in PERSONAS.items():
        failures += _check_persona(users[username] if username else None, persona, petitions[state], state)
    assert not failures, "\n".join(failures)


def _check_persona(user, persona, petition, state) -> list[str]:
    attachment = petition.attachments.first().pk
    document = petition.official_documents.order_by("id").first().pk
    failures = []
    for _name, requests in ROUTES.items():
        for method, template, kind, expectation in requests:
            if "{n}" not in template and state != "registered":
                continue  # routes without a petition are checked once
            path = template.format(n=petition.number, a=attachment, d=document)
            before = _fingerprint(petition)
            client = _api_client(user) if path.startswith("/api/") else _client(user)
            data, content_type = _body(kind) if kind is not None else (None, None)
            if isinstance(data, dict):
                data = {k: v.format(d=document) if isinstance(v, str) else v for k, v in data.items()}
            if not path.startswith("/api/"):
                content_type = None  # pages take form posts
            call = getattr(client, method)
            if method == "get":
                response = call(path)
            elif content_type:
                response = call(path, data, content_type=content_type)
            else:
                response = call(path, data)
            expected = expectation(Case(user, petition))
            if response.status_code not in expected:
                failures.append(
                    f"{method.upper()} {path} as {persona}: {response.status_code}, expected {expected}"
                )
            refused = response.status_code in (401, 403, 404, 409) and method != "get"
            if refused and _fingerprint(petition) != before:
                failures.append(f"{method.upper()} {path} as {persona}: refused but the petition changed")
            bounced = (
                response.status_code == 302 and user is None and not path.startswith(("/i18n/", "/accounts/"))
            )
            if bounced and "/accounts/login/" not in response["Location"]:
                failures.append(f"{path} as anonymous: redirected to {response['Location']}")
    return failures


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "system_admin"])
def test_admin_site_is_the_system_administrators(world, persona):
    users, _units, _petitions = world
    user = users[PERSONAS[persona]] if PERSONAS[persona] else None
    response = _client(user).get("/admin/accounts/user/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_leaders_are_office_roles():
    assert LEADER_ROLES <= OFFICE_ROLES

"""Web pages for petitions: parse input, authorise, call a service or selector, render."""

from xinfang.petitions.views.pages import home, petition_list_page, petition_page
from xinfang.petitions.views.procedure import action_form
from xinfang.petitions.views.queues import queue_page
from xinfang.petitions.views.registration import correct, register

__all__ = ["home", "petition_list_page", "petition_page", "register", "correct", "action_form", "queue_page"]

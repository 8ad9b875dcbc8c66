"""The public portal under /portal/ and the office's intake pages under /intake/."""

from captcha.views import captcha_image
from django.urls import path

from xinfang.portal.views import office, public

urlpatterns = [
    path("portal/", public.notice, name="portal_notice"),
    path("portal/submit", public.submit_page, name="portal_submit"),
    path("portal/status", public.status_page, name="portal_status"),
    path("portal/documents/<int:index>", public.document_download, name="portal_document"),
    path("portal/captcha/<str:key>.png", captcha_image, {"scale": 1}, name="portal_captcha"),
    path("intake/", office.intake_list, name="portal_intake"),
    path("intake/<int:submission_id>/", office.intake_detail, name="portal_intake_detail"),
    path("intake/<int:submission_id>/files/<int:file_id>/", office.intake_file, name="portal_intake_file"),
]

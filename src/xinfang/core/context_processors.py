from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.OFFICE_NAME or settings.SITE_NAME,
        "NUMBER_PREFIX": settings.NUMBER_PREFIX,
    }

from django_tasks import task

from xinfang.portal.services.intake import escalate_overdue


@task()
def escalate_intake() -> dict:
    """Escalate online submissions overdue for intake (idempotent)."""
    return {"escalated": escalate_overdue()}

from tests.api.conftest import api  # noqa: F401
from tests.web.conftest import client_for  # noqa: F401
from tests.workflow.conftest import drive  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "xinfang.documents"
    label = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from django.conf import settings

        from xinfang.documents import display  # noqa: F401  (registers the timeline's sentences)
        from xinfang.documents.panels import render_panel
        from xinfang.documents.public import petitioner_documents
        from xinfang.documents.references import parse_patterns
        from xinfang.petitions.hooks import petition_page_relations, petition_panels, public_documents

        parse_patterns(settings.DOCUMENT_REFERENCE_PATTERNS)  # a bad pattern stops the start
        petition_panels.register("documents", render_panel)
        petition_page_relations.register("documents", "official_documents")
        public_documents.register("documents", petitioner_documents)

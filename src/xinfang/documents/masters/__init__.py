"""The default .docx masters shipped with Xinfang, one per document type, built by
``python -m xinfang.documents.masters.build`` (the script and its output are both committed)."""

"""Readers of the formats articles come in besides plain text (web pages, PDF, .docx, feeds) and their detection."""

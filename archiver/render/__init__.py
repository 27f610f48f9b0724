"""Rendering documents a person reads (records, letters) as PDF: the model, its HTML, the PDF.

Importing this package loads no rendering library: `document.py` and `markup.py` are the
standard library only, and WeasyPrint is imported by `pdf.py` alone.
"""

"""Rendering documents a person reads (records, letters) as PDF: the model, its HTML, the PDF.

Importing this package loads no rendering library: `document.py` and `markup.py` are the
standard library only, and WeasyPrint is imported by `pdf.py` alone.
"""

import logging

# WeasyPrint logs each step of every rendering at INFO (its default stylesheets already while
# it is imported, so this is set here, before `pdf.py` imports it): noise at the service's log
# level and on a command's stderr. Its warnings (a character no font has, a refused URL) pass.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

"""REFI-QDA project exchange (``.qdpx``) with NVivo, ATLAS.ti, MAXQDA and QualCoder.

``export_qdpx(cfg, path, crlf=False)`` writes a project; ``import_qdpx(path, target_root)``
creates a new project from one. Untrusted archives are read through :mod:`.safety`.
"""

from cop_analysis.refi.export import export_qdpx
from cop_analysis.refi.import_ import ImportReport, import_qdpx
from cop_analysis.refi.safety import Limits, RefiError

__all__ = ["ImportReport", "Limits", "RefiError", "export_qdpx", "import_qdpx"]

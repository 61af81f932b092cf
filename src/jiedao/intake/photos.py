"""The document photo pipeline now lives in ``jiedao.lib.photos`` (no Django, no project imports),
so that every service (the subsidy's documents, enterprise visits' photos) runs photos through the
same code. This name stays for the intake side and its tests: it *is* that module."""

import sys

from jiedao.lib import photos as _photos

sys.modules[__name__] = _photos

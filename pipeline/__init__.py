"""kantong: find poverty pockets (kantong kemiskinan) from verified household registers.

The data path reads from the folder list: :mod:`pipeline.ingest` ->
:mod:`pipeline.analyse` -> :mod:`pipeline.publish`, run by :mod:`pipeline.run`
and the command line (:mod:`pipeline.cli`); :mod:`pipeline.demo` generates the
demo region's inputs.
"""

__version__ = "0.1.0"

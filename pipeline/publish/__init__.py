"""Publish: protect, render and write what a region's analysis found.

Disclosure control (:mod:`.privacy`, :mod:`.disclosure`, :mod:`.relations`,
:mod:`.audit`), the interactive map (:mod:`.webmap`), QGIS styles and layer
descriptions (:mod:`.qgis`), files and folders written as one set
(:mod:`.files`, :mod:`.write`), and the whole region's outputs (:mod:`.region`).
"""
